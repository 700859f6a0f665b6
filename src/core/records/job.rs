//! `job/<id>`: a job's request and how far it got. Every batch of a job commits its changes
//! together with this record, conditionally on the version it read, so a batch is applied once
//! however many processes run the job, and a job interrupted by a crash resumes where its last
//! committed batch ended.

use serde::{Deserialize, Serialize};

use super::{first_non_guid, first_out_of_range, Record, SAFE, TIME};
use crate::core::input::Input;

#[derive(Serialize, Clone, Copy, Debug, PartialEq, Eq)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum JobStatus {
    Running,
    Finished,
}

/// One item a job could not process, and why.
#[derive(Serialize, Clone, Debug, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct JobFailure {
    pub entity_id: String,
    pub code: String,
    pub description: String,
}

/// Failures listed at most; the count covers all of them.
pub const MAX_LISTED_FAILURES: usize = 20;

/// Written with serde; read through [`Input`] (jobs are rare, and a derived reader would add
/// several kilobytes to the wasm module for them).
#[derive(Serialize, Clone, Debug, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct JobRecord {
    pub schema: u32,
    pub id: String,
    /// The operation that runs it, e.g. `bulkAdjustPoints`.
    pub kind: String,
    pub status: JobStatus,
    /// The request as given; read (and checked) again on every resume.
    pub request: crate::core::input::Input,
    /// The last key processed (items are taken in key order).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cursor: Option<String>,
    pub processed: u64,
    pub succeeded: u64,
    pub failed: u64,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub failures: Vec<JobFailure>,
    pub created_ms: i64,
    pub updated_ms: i64,
}

impl Record for JobRecord {
    fn schema(&self) -> u32 {
        self.schema
    }
    fn out_of_range(&self) -> Option<String> {
        first_out_of_range(&[
            ("processed", self.processed.into(), 0, SAFE),
            ("succeeded", self.succeeded.into(), 0, SAFE),
            ("failed", self.failed.into(), 0, SAFE),
            ("createdMs", self.created_ms.into(), 0, TIME),
            ("updatedMs", self.updated_ms.into(), 0, TIME),
        ])
        .or_else(|| first_non_guid(&[("id", &self.id)]))
    }
}

impl JobRecord {
    /// The record a JSON document holds, if it holds one of this shape.
    fn from_input(r: &Input) -> Option<JobRecord> {
        let text = |i: &Input, k: &str| i.get(k).text().map(String::from);
        let int = |k: &str| r.get(k).whole();
        Some(JobRecord {
            schema: u32::try_from(int("schema")?).ok()?,
            id: text(r, "id")?,
            kind: text(r, "kind")?,
            status: match r.get("status").text()? {
                "RUNNING" => JobStatus::Running,
                "FINISHED" => JobStatus::Finished,
                _ => return None,
            },
            request: r.get("request").clone(),
            cursor: match r.get("cursor") {
                Input::Undefined => None,
                c => Some(c.text()?.to_string()),
            },
            processed: int("processed")?,
            succeeded: int("succeeded")?,
            failed: int("failed")?,
            failures: match r.get("failures") {
                Input::Undefined => Vec::new(),
                Input::Array(items) => items
                    .iter()
                    .map(|f| {
                        Some(JobFailure {
                            entity_id: text(f, "entityId")?,
                            code: text(f, "code")?,
                            description: text(f, "description")?,
                        })
                    })
                    .collect::<Option<Vec<_>>>()?,
                _ => return None,
            },
            created_ms: i64::try_from(int("createdMs")?).ok()?,
            updated_ms: i64::try_from(int("updatedMs")?).ok()?,
        })
    }
}

impl<'de> Deserialize<'de> for JobRecord {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let input = Input::deserialize(d)?;
        JobRecord::from_input(&input).ok_or_else(|| serde::de::Error::custom("not a job record of this engine"))
    }
}
