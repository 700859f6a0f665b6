//! Reading one account: by id (`getAccount`), by contact or member id
//! (`getAccountBySecondaryId`), or the calling member's own (`getCurrentMemberAccount`). Each
//! answers `{ account }` (the SDK unwraps `getAccount`'s).

use super::arg;
use crate::core::error::{Code, LoyaltyError, Result};
use crate::core::input::Input;
use crate::core::protocol::{expect_read, Caller, Context, Io, Machine, Request, Step};
use crate::core::reason::Reason;
use crate::core::records::{self, keys, IndexRecord};
use crate::core::rules::lookup;
use crate::core::validate::Check;

/// A read of one account, and whether its answer may be packed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lookup {
    target: Target,
    packed: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Target {
    /// Reading `contact/<id>` or `member/<id>`; `who` names it in a not-found message.
    Index { key: String, who: String },
    /// Reading the account.
    Account(String),
}

fn read(target: Target, packed: bool) -> Step {
    let key = match &target {
        Target::Index { key, .. } => key.clone(),
        Target::Account(id) => keys::account(id),
    };
    Step::new(Request::Read(vec![key]), Lookup { target, packed })
}

pub fn get(args: &[Input], ctx: &Context) -> Result<Step> {
    let mut c = Check::default();
    let id = c.required_guid("_id", arg(args, 0)).unwrap_or_default();
    c.finish()?;
    Ok(read(Target::Account(id), ctx.packed_answers))
}

pub fn by_secondary_id(args: &[Input], ctx: &Context) -> Result<Step> {
    let mut c = Check::default();
    let mut lookup = None;
    if let Some(o) = c.object("options", arg(args, 0), true) {
        let contact = c.guid("options.contactId", o.get("contactId"), false).flatten();
        let member = c.guid("options.memberId", o.get("memberId"), false).flatten();
        lookup = match (contact, member) {
            (Some(id), None) => Some(Target::Index { key: keys::contact_index(&id), who: format!("contact {id}") }),
            (None, Some(id)) => Some(Target::Index { key: keys::member_index(&id), who: format!("member {id}") }),
            (Some(_), Some(_)) => {
                c.fail("options", Reason::OneOf, "must give either contactId or memberId, not both");
                None
            }
            (None, None) => {
                if c.is_ok() {
                    c.fail("options.contactId", Reason::RequiredField, "or options.memberId is required");
                }
                None
            }
        };
    }
    c.finish()?;
    Ok(read(lookup.unwrap_or(Target::Account(String::new())), ctx.packed_answers))
}

pub fn current_member(_: &[Input], ctx: &Context) -> Result<Step> {
    match &ctx.caller {
        Caller::Member(id) => {
            let who = format!("member {id} (the caller)");
            Ok(read(Target::Index { key: keys::member_index(id), who }, ctx.packed_answers))
        }
        Caller::Admin | Caller::Visitor => Err(member_required("getCurrentMemberAccount")),
    }
}

/// A "current member" method called without a member identity.
pub fn member_required(method: &str) -> LoyaltyError {
    LoyaltyError::new(
        Code::Unauthenticated,
        Reason::MemberRequired,
        format!("{method} acts for the calling member: call it as a member (loyalty.forMember(memberId), or a member token over REST)"),
    )
}

impl Machine for Lookup {
    fn resume(self: Box<Self>, io: Io) -> Result<Step> {
        let stored = expect_read(io, 1)?.into_iter().next().flatten();
        let packed = self.packed;
        match self.target {
            Target::Index { key, who } => {
                let Some(stored) = stored else {
                    return Err(LoyaltyError::not_found(
                        Reason::AccountNotFound,
                        format!("{who} has no loyalty account"),
                    ));
                };
                let index: IndexRecord = records::decode(&key, &stored.value)?;
                Ok(read(Target::Account(index.account_id), packed))
            }
            Target::Account(id) => {
                let answer =
                    lookup::with_account(&id, stored.as_ref(), |a| records::json::account_answer(a, None, packed))?;
                Ok(Step::done(answer))
            }
        }
    }
}
