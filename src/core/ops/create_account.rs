//! `createAccount(contactId)`: needs an `ACTIVE` program (`DRAFT` and `PAUSED` refuse it); one
//! account per contact (`ALREADY_EXISTS`), and per member when the contacts resolver names one.
//! Once the host has seen the program ACTIVE, the account is committed without a read, on
//! condition that the program is still at the version seen.

use super::arg;
use crate::core::error::{Code, LoyaltyError, Result};
use crate::core::input::Input;
use crate::core::protocol::{expect_read, Context, Io, Machine, Outcome, Request, Stamp, Step, Stored, Write};
use crate::core::reason::Reason;
use crate::core::records::{
    self, json, keys, AccountRecord, ContactSnapshot, IndexRecord, Picture, Points, ProgramRecord, ProgramStatus,
    SCHEMA,
};
use crate::core::rules::events::{self, Entity, EventSpec};
use crate::core::rules::ledger::id_collision;
use crate::core::rules::lookup;
use crate::core::validate::Check;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreateAccount {
    contact_id: String,
    account_id: String,
    at: Stamp,
    /// Filled once the contacts resolver answered (or at once when there is none).
    contact: Option<ContactSnapshot>,
    /// The program as the host last saw it; dropped after a conflict.
    program: Option<Stored>,
}

pub fn start(args: &[Input], ctx: &Context) -> Result<Step> {
    let mut c = Check::default();
    let contact_id = c.required_guid("contactId", arg(args, 0)).unwrap_or_default();
    c.finish()?;
    let op = CreateAccount {
        account_id: ctx.fresh_id(0)?,
        at: ctx.stamp(),
        contact: if ctx.has_contacts { None } else { Some(ContactSnapshot::default()) },
        contact_id,
        program: ctx.program.clone(),
    };
    let lock = vec![keys::contact_index(&op.contact_id)];
    let step = match op.contact {
        None => Step::new(Request::Contact(op.contact_id.clone()), op),
        Some(_) => next(op)?,
    };
    Ok(step.locking(lock))
}

/// Once the contact is known: commit straight away when the host's copy of the program says
/// ACTIVE (the commit checks that copy is current), else read what the decision needs.
fn next(mut op: CreateAccount) -> Result<Step> {
    let Some(contact) = op.contact.clone() else {
        return Err(LoyaltyError::storage_protocol("an account cannot be created before its contact is known"));
    };
    let active = op.program.take().filter(|p| {
        records::decode::<ProgramRecord>(keys::PROGRAM, &p.value).is_ok_and(|r| r.status == ProgramStatus::Active)
    });
    match active {
        Some(program) => commit(op, contact, Some(program.version)),
        None => {
            let mut read = vec![keys::PROGRAM.to_string(), keys::contact_index(&op.contact_id)];
            if let Some(member) = &contact.member_id {
                read.push(keys::member_index(member));
            }
            Ok(Step::new(Request::Read(read), op))
        }
    }
}

/// Checks what the host's contacts resolver returned for `contactId`.
pub fn decode_contact(contact_id: &str, value: &Input) -> Result<ContactSnapshot> {
    if value.is_absent() {
        return Err(LoyaltyError::not_found(
            Reason::ContactNotFound,
            format!("contact {contact_id} does not exist (the contacts resolver returned no contact)"),
        )
        .with_data(&[("contactId", &contact_id)]));
    }
    let mut c = Check::default();
    let mut snapshot = ContactSnapshot::default();
    if c.object("contact", value, true).is_some() {
        snapshot.member_id = c.guid("contact.memberId", value.get("memberId"), false).flatten();
        snapshot.name = c.string("contact.name", value.get("name"), 0, 200, false).flatten().filter(|s| !s.is_empty());
        snapshot.email =
            c.string("contact.email", value.get("email"), 0, 320, false).flatten().filter(|s| !s.is_empty());
        snapshot.picture = match value.get("picture") {
            Input::String(url) if url.chars().count() <= 2048 => {
                Some(Picture { url: url.clone(), height: 0, width: 0 })
            }
            p @ Input::Object(_) => {
                let url = c.required_string("contact.picture.url", p.get("url"), 0, 2048);
                let height = c.integer("contact.picture.height", p.get("height"), 0, 100_000, false).flatten();
                let width = c.integer("contact.picture.width", p.get("width"), 0, 100_000, false).flatten();
                url.map(|url| Picture { url, height: height.unwrap_or(0) as u32, width: width.unwrap_or(0) as u32 })
            }
            p if p.is_absent() => None,
            other => {
                c.fail(
                    "contact.picture",
                    Reason::WrongType,
                    format!("must be a URL string or {{ url, height, width }} (got {})", other.describe()),
                );
                None
            }
        };
    }
    c.finish().map_err(|e| {
        LoyaltyError::internal(
            Reason::ContactsError,
            format!("the contacts resolver returned an invalid contact for {contact_id}: {}", e.description),
        )
    })?;
    Ok(snapshot)
}

impl Machine for CreateAccount {
    fn resume(mut self: Box<Self>, io: Io) -> Result<Step> {
        let contact = match (io, self.contact.clone()) {
            (Io::Contact(value), None) => {
                self.contact = Some(decode_contact(&self.contact_id, &value)?);
                return next(*self);
            }
            (io @ Io::Read(_), Some(contact)) => (io, contact),
            _ => return Err(LoyaltyError::storage_protocol("unexpected answer while creating an account")),
        };
        let (io, contact) = contact;
        let expected = 2 + usize::from(contact.member_id.is_some());
        let mut values = expect_read(io, expected)?.into_iter();
        let (program, _) = lookup::read_program(values.next().flatten().as_ref())?;
        lookup::require_active(&program, "create an account")?;
        if let Some(existing) = values.next().flatten() {
            let index: IndexRecord = records::decode(&keys::contact_index(&self.contact_id), &existing.value)?;
            return Err(LoyaltyError::new(
                Code::AlreadyExists,
                Reason::AccountAlreadyExists,
                format!("contact {} already has loyalty account {}", self.contact_id, index.account_id),
            )
            .with_data(&[("contactId", &self.contact_id), ("accountId", &index.account_id)]));
        }
        if let (Some(member), Some(existing)) = (&contact.member_id, values.next().flatten()) {
            let index: IndexRecord = records::decode(&keys::member_index(member), &existing.value)?;
            return Err(LoyaltyError::new(
                Code::AlreadyExists,
                Reason::MemberAlreadyHasAccount,
                format!("member {member} already has loyalty account {}", index.account_id),
            )
            .with_data(&[("memberId", &member), ("accountId", &index.account_id)]));
        }
        commit(*self, contact, None)
    }

    /// A taken account id is a broken id generator; anything else (the contact taken meanwhile,
    /// the program changed) is decided again on fresh data.
    fn conflict(mut self: Box<Self>, key: &str) -> Result<Step> {
        if key == keys::account(&self.account_id) {
            return Err(id_collision(&self.account_id, "an account"));
        }
        self.program = None;
        next(*self)
    }
}

/// The new account's writes, result and event; with `program_version`, the commit also checks
/// that the program is still at that version (it was not read for this call).
fn commit(op: CreateAccount, contact: ContactSnapshot, program_version: Option<u64>) -> Result<Step> {
    let account = AccountRecord {
        schema: SCHEMA,
        id: op.account_id.clone(),
        contact_id: op.contact_id.clone(),
        points: Points::default(),
        tier_points: 0,
        revision: 1,
        created_ms: op.at.now_ms,
        updated_ms: op.at.now_ms,
        last_activity_ms: None,
        // A new balance is 0, and every price is at least 1 point.
        reward_available: false,
        flips: 0,
        // The base tier, worked out now: every threshold is at least 1 point.
        tier: crate::core::records::TierState { ms: Some(op.at.now_ms), ..Default::default() },
        // No points yet: nothing to expire, no month to roll.
        expiring: None,
        due_ms: None,
        contact,
    };
    let index = json::index(&account.id);
    let mut writes = vec![
        Write::put(keys::account(&account.id), json::account(&account), 0),
        Write::put(keys::contact_index(&account.contact_id), index.clone(), 0),
    ];
    if let Some(member) = &account.contact.member_id {
        writes.push(Write::put(keys::member_index(member), index, 0));
    }
    if let Some(version) = program_version {
        writes.push(Write::check(keys::PROGRAM, version));
    }
    let result = json::account_answer(&account, None, op.at.packed);
    let events = if op.at.events {
        let spec = EventSpec::of(Entity::Account, "created", &account.id, account.event_sequence(), op.at.now_ms);
        events::list(&[events::event(spec, "entity", &json::account_view(&account))?])
    } else {
        "[]".into()
    };
    Ok(Step::new(Request::Commit(writes, Outcome { result, events }), op))
}
