//! Events in Wix's shape (`{ entity | data, metadata }`), built as JSON text around an already
//! serialized entity so that the entity is serialized once for the result and its events. The
//! JS face adds `metadata._id` and turns `eventTime` into a `Date`.

use serde::Serialize;

use crate::core::error::Result;
use crate::core::records::encode;

/// One event's metadata.
pub struct EventSpec<'a> {
    pub fqdn: &'static str,
    pub slug: &'static str,
    pub event_type: &'static str,
    pub entity_id: &'a str,
    pub sequence: Option<u64>,
    pub now_ms: i64,
}

impl EventSpec<'_> {
    /// An event of `wix.loyalty.v1.<entity>`: `slug` and the event type `<entity>_<name>`.
    pub fn of<'a>(entity: Entity, slug: &'static str, entity_id: &'a str, sequence: u64, now_ms: i64) -> EventSpec<'a> {
        let (fqdn, event_type) = entity.names(slug);
        EventSpec { fqdn, slug, event_type, entity_id, sequence: Some(sequence), now_ms }
    }
}

/// The entities that have events in this engine.
#[derive(Clone, Copy)]
pub enum Entity {
    Account,
    Program,
    Reward,
    Coupon,
    Tier,
}

impl Entity {
    fn names(self, slug: &str) -> (&'static str, &'static str) {
        match (self, slug) {
            (Entity::Program, _) => ("wix.loyalty.v1.program", "wix.loyalty.v1.program_updated"),
            (Entity::Account, "created") => ("wix.loyalty.v1.account", "wix.loyalty.v1.account_created"),
            (Entity::Account, "points_updated") => ("wix.loyalty.v1.account", "wix.loyalty.v1.account_points_updated"),
            (Entity::Account, "reward_availability_updated") => {
                ("wix.loyalty.v1.account", "wix.loyalty.v1.account_reward_availability_updated")
            }
            (Entity::Account, _) => ("wix.loyalty.v1.account", "wix.loyalty.v1.account_updated"),
            (Entity::Reward, "created") => ("wix.loyalty.v1.reward", "wix.loyalty.v1.reward_created"),
            (Entity::Reward, "deleted") => ("wix.loyalty.v1.reward", "wix.loyalty.v1.reward_deleted"),
            (Entity::Reward, _) => ("wix.loyalty.v1.reward", "wix.loyalty.v1.reward_updated"),
            (Entity::Coupon, "deleted") => ("wix.loyalty.v1.coupon", "wix.loyalty.v1.coupon_deleted"),
            (Entity::Coupon, _) => ("wix.loyalty.v1.coupon", "wix.loyalty.v1.coupon_created"),
            (Entity::Tier, "created") => ("wix.loyalty.v1.tier", "wix.loyalty.v1.tier_created"),
            (Entity::Tier, "deleted") => ("wix.loyalty.v1.tier", "wix.loyalty.v1.tier_deleted"),
            (Entity::Tier, _) => ("wix.loyalty.v1.tier", "wix.loyalty.v1.tier_updated"),
        }
    }
}

/// The event's JSON text around `body_json`, the already serialized entity or data.
pub fn event(spec: EventSpec<'_>, body_key: &'static str, body_json: &str) -> Result<String> {
    Ok(format!("{{\"{body_key}\":{body_json},{}", metadata(spec)?))
}

/// A deleted event: its metadata only.
pub fn deleted(spec: EventSpec<'_>) -> Result<String> {
    Ok(format!("{{{}", metadata(spec)?))
}

/// `"metadata":{…}}`: the closing part of an event.
fn metadata(spec: EventSpec<'_>) -> Result<String> {
    #[derive(Serialize)]
    #[serde(rename_all = "camelCase")]
    struct Metadata<'a> {
        entity_fqdn: &'static str,
        slug: &'static str,
        entity_id: &'a str,
        event_time: i64,
        event_type: &'static str,
        #[serde(skip_serializing_if = "Option::is_none")]
        entity_event_sequence: Option<String>,
    }
    let metadata = encode(&Metadata {
        entity_fqdn: spec.fqdn,
        slug: spec.slug,
        entity_id: spec.entity_id,
        event_time: spec.now_ms,
        event_type: spec.event_type,
        entity_event_sequence: spec.sequence.map(|s| s.to_string()),
    })?;
    Ok(format!("\"metadata\":{metadata}}}"))
}

/// `[a, b, …]` from event JSON texts.
pub fn list(events: &[String]) -> String {
    format!("[{}]", events.join(","))
}

/// The events of one balance change: `account_points_updated` and `account_updated`.
pub fn points_changed(account_id: &str, revision: u64, now_ms: i64, view_json: &str) -> Result<Vec<String>> {
    let data = format!("{{\"account\":{view_json}}}");
    Ok(vec![
        event(EventSpec::of(Entity::Account, "points_updated", account_id, revision, now_ms), "data", &data)?,
        event(EventSpec::of(Entity::Account, "updated", account_id, revision, now_ms), "entity", view_json)?,
    ])
}
