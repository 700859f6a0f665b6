//! Tiers and the tiers program settings, all in one record under the key `tiers` (spec §2.6,
//! §3.6). A program has at most [`MAX_TIERS`] tiers, so one record holds them all: a tier
//! change checks names and thresholds against every other tier in the same commit, and a
//! balance change reads the whole ladder with one key.

use serde::{Deserialize, Serialize};

use super::read::{any_whole, opt_text, text, whole};
use super::{first_out_of_range, Record, TIME};
use crate::core::input::Input;

/// Tiers per program: the 21 prices a reward takes are the base tier's and 20 tiers'.
pub const MAX_TIERS: usize = 20;
/// The highest `requiredPoints` a tier takes.
pub const MAX_REQUIRED: i64 = 9_999_999;

/// A tier's name, description and icon (also the base tier's, in the settings).
#[derive(Serialize, Clone, Debug, Default, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct Definition {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub icon: Option<String>,
}

#[derive(Serialize, Clone, Debug, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct Tier {
    pub id: String,
    pub definition: Definition,
    pub required_points: i64,
    pub revision: u64,
    pub created_ms: i64,
    pub updated_ms: i64,
}

#[derive(Serialize, Clone, Copy, Debug, PartialEq, Eq)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum TiersStatus {
    Disabled,
    Draft,
    Active,
    Paused,
}

impl TiersStatus {
    pub fn parse(s: &str) -> Option<TiersStatus> {
        Some(match s {
            "DISABLED" => TiersStatus::Disabled,
            "DRAFT" => TiersStatus::Draft,
            "ACTIVE" => TiersStatus::Active,
            "PAUSED" => TiersStatus::Paused,
            _ => return None,
        })
    }
}

#[derive(Serialize, Clone, Debug, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct Settings {
    pub status: TiersStatus,
    pub months: u32,
    pub base: Definition,
    pub revision: u64,
    pub created_ms: i64,
    pub updated_ms: i64,
}

/// The `tiers` record; absent reads as no tiers and no settings.
#[derive(Serialize, Clone, Debug, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct TiersRecord {
    pub schema: u32,
    /// Ordered by `required_points`, lowest first.
    pub tiers: Vec<Tier>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub settings: Option<Settings>,
}

impl Default for TiersRecord {
    fn default() -> Self {
        TiersRecord { schema: super::SCHEMA, tiers: Vec::new(), settings: None }
    }
}

impl TiersRecord {
    pub fn find(&self, id: &str) -> Option<&Tier> {
        self.tiers.iter().find(|t| t.id == id)
    }

    /// Whether tiers decide accounts' tiers now: settings exist and are `ACTIVE`.
    pub fn active(&self) -> bool {
        self.settings.as_ref().is_some_and(|s| s.status == TiersStatus::Active)
    }

    /// The tier of an account with `points` in the window: the highest threshold met, `None`
    /// for the base tier (also while the tiers program is not `ACTIVE`).
    pub fn tier_for(&self, points: i64) -> Option<&Tier> {
        if !self.active() {
            return None;
        }
        self.tiers.iter().rev().find(|t| t.required_points <= points)
    }

    /// What decides accounts' tiers: `(tier id, requiredPoints)` lowest first while the tiers
    /// program is `ACTIVE`, else none (copied into `reward-prices`).
    pub fn ladder(&self) -> Vec<(String, i64)> {
        if !self.active() {
            return Vec::new();
        }
        self.tiers.iter().map(|t| (t.id.clone(), t.required_points)).collect()
    }

    /// The window in months (12 until settings exist).
    pub fn months(&self) -> u32 {
        self.settings.as_ref().map_or(12, |s| s.months)
    }
}

impl Record for TiersRecord {
    fn schema(&self) -> u32 {
        self.schema
    }
    fn out_of_range(&self) -> Option<String> {
        if self.tiers.len() > MAX_TIERS {
            return Some(format!("it holds {} tiers, more than {MAX_TIERS}", self.tiers.len()));
        }
        if self.tiers.iter().zip(self.tiers.iter().skip(1)).any(|(a, b)| a.required_points >= b.required_points) {
            return Some("its tiers are not ordered by distinct requiredPoints".into());
        }
        let mut checks = Vec::new();
        for t in &self.tiers {
            checks.push(("requiredPoints", i128::from(t.required_points), 1, i128::from(MAX_REQUIRED)));
            checks.push(("revision", i128::from(t.revision), 1, super::SAFE));
            checks.push(("createdMs", i128::from(t.created_ms), 0, TIME));
            checks.push(("updatedMs", i128::from(t.updated_ms), 0, TIME));
        }
        if let Some(s) = &self.settings {
            checks.push(("durationInMonths", i128::from(s.months), 1, 36));
            checks.push(("revision", i128::from(s.revision), 1, super::SAFE));
            checks.push(("createdMs", i128::from(s.created_ms), 0, TIME));
            checks.push(("updatedMs", i128::from(s.updated_ms), 0, TIME));
        }
        first_out_of_range(&checks)
            .or_else(|| super::first_non_guid(&self.tiers.iter().map(|t| ("id", t.id.as_str())).collect::<Vec<_>>()))
    }
}

fn definition(v: &Input) -> Option<Definition> {
    Some(Definition {
        name: opt_text(v, "name")?,
        description: opt_text(v, "description")?,
        icon: opt_text(v, "icon")?,
    })
}

fn time(v: &Input, name: &str) -> Option<i64> {
    any_whole(v, name).map(|t| t.min(i64::MAX as u64) as i64)
}

fn tier(v: &Input) -> Option<Tier> {
    Some(Tier {
        id: text(v, "id")?,
        definition: definition(v.get("definition"))?,
        required_points: time(v, "requiredPoints")?,
        revision: any_whole(v, "revision")?,
        created_ms: time(v, "createdMs")?,
        updated_ms: time(v, "updatedMs")?,
    })
}

fn tiers(v: &Input) -> Option<TiersRecord> {
    let settings = match v.get("settings") {
        s if s.is_absent() => None,
        s => Some(Settings {
            status: TiersStatus::parse(&text(s, "status")?)?,
            months: u32::try_from(whole(s, "months")?).ok()?,
            base: definition(s.get("base"))?,
            revision: any_whole(s, "revision")?,
            created_ms: time(s, "createdMs")?,
            updated_ms: time(s, "updatedMs")?,
        }),
    };
    let list = match v.get("tiers") {
        Input::Array(items) => items.iter().map(tier).collect::<Option<Vec<_>>>()?,
        _ => return None,
    };
    Some(TiersRecord { schema: u32::try_from(whole(v, "schema")?).ok()?, tiers: list, settings })
}

impl<'de> Deserialize<'de> for TiersRecord {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        super::via_input(d, "tiers", tiers)
    }
}
