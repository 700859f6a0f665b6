//! The loyalty program record: a singleton under the key `program`.

use serde::{Deserialize, Serialize};

use super::read::{opt_text, opt_whole, text, whole};
use crate::core::input::Input;

use super::{first_out_of_range, Record, SCHEMA, TIME};

#[derive(Serialize, Clone, Copy, Debug, PartialEq, Eq)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ProgramStatus {
    Draft,
    Active,
    Paused,
}

impl ProgramStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            ProgramStatus::Draft => "DRAFT",
            ProgramStatus::Active => "ACTIVE",
            ProgramStatus::Paused => "PAUSED",
        }
    }
}

#[derive(Serialize, Clone, Copy, Debug, PartialEq, Eq)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ExpirationStatus {
    Disabled,
    Enabled,
}

/// Written with serde; read through [`Input`] (one reader for the records read this way: the
/// program is read once per text, so its reader's speed does not matter).
#[derive(Serialize, Clone, Debug, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct ProgramRecord {
    pub schema: u32,
    pub status: ProgramStatus,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub point_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub point_icon: Option<String>,
    pub expiration_status: ExpirationStatus,
    pub months_of_inactivity: u32,
    pub expiring_points_percentage: u32,
    /// `None` until the program is first saved.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_ms: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub updated_ms: Option<i64>,
}

impl Default for ProgramRecord {
    /// A freshly installed program: `DRAFT`, expiration disabled (3 months, 100 %).
    fn default() -> Self {
        ProgramRecord {
            schema: SCHEMA,
            status: ProgramStatus::Draft,
            name: None,
            point_name: None,
            point_icon: None,
            expiration_status: ExpirationStatus::Disabled,
            months_of_inactivity: 3,
            expiring_points_percentage: 100,
            created_ms: None,
            updated_ms: None,
        }
    }
}

impl Record for ProgramRecord {
    fn schema(&self) -> u32 {
        self.schema
    }
    fn out_of_range(&self) -> Option<String> {
        first_out_of_range(&[
            ("monthsOfInactivity", self.months_of_inactivity.into(), 1, 12),
            ("expiringPointsPercentage", self.expiring_points_percentage.into(), 1, 100),
            ("createdMs", self.created_ms.unwrap_or(0).into(), 0, TIME),
            ("updatedMs", self.updated_ms.unwrap_or(0).into(), 0, TIME),
        ])
    }
}

fn program(v: &Input) -> Option<ProgramRecord> {
    let status = match text(v, "status")?.as_str() {
        "DRAFT" => ProgramStatus::Draft,
        "ACTIVE" => ProgramStatus::Active,
        "PAUSED" => ProgramStatus::Paused,
        _ => return None,
    };
    let expiration_status = match text(v, "expirationStatus")?.as_str() {
        "DISABLED" => ExpirationStatus::Disabled,
        "ENABLED" => ExpirationStatus::Enabled,
        _ => return None,
    };
    let small = |name: &str| whole(v, name).and_then(|n| u32::try_from(n).ok());
    let time = |name: &str| opt_whole(v, name).map(|t| t.map(|t| t.min(i64::MAX as u64) as i64));
    Some(ProgramRecord {
        schema: small("schema")?,
        status,
        name: opt_text(v, "name")?,
        point_name: opt_text(v, "pointName")?,
        point_icon: opt_text(v, "pointIcon")?,
        expiration_status,
        months_of_inactivity: small("monthsOfInactivity")?,
        expiring_points_percentage: small("expiringPointsPercentage")?,
        created_ms: time("createdMs")?,
        updated_ms: time("updatedMs")?,
    })
}

impl<'de> Deserialize<'de> for ProgramRecord {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        super::via_input(d, "program", program)
    }
}
