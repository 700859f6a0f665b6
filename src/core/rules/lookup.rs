//! Reading what decisions rest on: the program (a default `DRAFT` one until first saved) and
//! accounts, with the errors users see when they are missing or unusable.

use std::cell::RefCell;

use crate::core::error::{LoyaltyError, Result};
use crate::core::protocol::Stored;
use crate::core::reason::Reason;
use crate::core::records::{self, keys, AccountRecord, ProgramRecord, ProgramStatus};
use crate::core::small::same;

thread_local! {
    /// The program last decoded, with its text: earning and creating accounts read it on every
    /// call, and it rarely changes (matched on the whole text, like [`MEMO`]).
    static PROGRAM: RefCell<Option<(String, ProgramRecord)>> = const { RefCell::new(None) };
}

/// The stored program, or the default `DRAFT` program if none was saved yet.
pub fn read_program(stored: Option<&Stored>) -> Result<(ProgramRecord, u64)> {
    let Some(s) = stored else {
        return Ok((ProgramRecord::default(), 0));
    };
    let known =
        PROGRAM.with(|p| p.borrow().as_ref().and_then(|(text, program)| same(text, &s.value).then(|| program.clone())));
    let program = match known {
        Some(program) => program,
        None => {
            let program: ProgramRecord = records::decode(keys::PROGRAM, &s.value)?;
            PROGRAM.with(|p| *p.borrow_mut() = Some((s.value.clone(), program.clone())));
            program
        }
    };
    Ok((program, s.version))
}

/// `FAILED_PRECONDITION` / `PROGRAM_NOT_ACTIVE` unless the program is `ACTIVE`.
pub fn require_active(program: &ProgramRecord, action: &str) -> Result<()> {
    if program.status == ProgramStatus::Active {
        return Ok(());
    }
    let status = program.status.as_str();
    Err(LoyaltyError::precondition(
        Reason::ProgramNotActive,
        format!("the loyalty program is {status}: it must be ACTIVE to {action}"),
    )
    .with_data(&[("status", &status)]))
}

/// Slots of [`MEMO`].
const MEMO_SLOTS: usize = 256;

thread_local! {
    /// Accounts decoded or written lately, with the text they were decoded from or written as:
    /// an account read back unchanged (the next call on it, or a read of it) skips the parse.
    /// Matching the whole text makes it right for any store and any writer. The slot comes from
    /// a hash of the account id (enough slots that a few dozen busy accounts rarely share one).
    static MEMO: RefCell<Vec<Option<(String, AccountRecord)>>> = const { RefCell::new(Vec::new()) };
}

fn memo_slot(id: &str) -> usize {
    crate::core::small::hash(id.as_bytes()) as usize % MEMO_SLOTS
}

/// Remembers that `text` decodes to `account`.
pub fn remember_account(text: &str, account: &AccountRecord) {
    MEMO.with(|memo| {
        let mut memo = memo.borrow_mut();
        if memo.is_empty() {
            memo.resize_with(MEMO_SLOTS, || None);
        }
        match memo.get_mut(memo_slot(&account.id)) {
            Some(Some((known, record))) => {
                known.clear();
                known.push_str(text);
                record.clone_from(account);
            }
            Some(slot) => *slot = Some((text.to_owned(), account.clone())),
            None => {}
        }
    });
}

/// `f` of the account remembered for `id`, if `text` is the text it was remembered with.
fn remembered<T>(id: &str, text: &str, f: impl FnOnce(&AccountRecord) -> T) -> Option<T> {
    MEMO.with(|memo| {
        let memo = memo.borrow();
        let (known, account) = memo.get(memo_slot(id))?.as_ref()?;
        same(known, text).then(|| f(account))
    })
}

/// Decodes an account read back from `acct/<id>`; `NOT_FOUND` when absent.
pub fn read_account(id: &str, stored: Option<&Stored>) -> Result<(AccountRecord, u64)> {
    let Some(s) = stored else {
        return Err(account_not_found(id));
    };
    let account = match remembered(id, &s.value, AccountRecord::clone) {
        Some(account) => account,
        None => {
            let account: AccountRecord = records::decode(&keys::account(id), &s.value)?;
            remember_account(&s.value, &account);
            account
        }
    };
    if account.id != id {
        return Err(LoyaltyError::corrupt(&keys::account(id), format!("it holds account {}", account.id)));
    }
    Ok((account, s.version))
}

/// [`read_account`] for a caller that only reads the account: `f` gets it where it is
/// remembered, without a copy, when the stored text is the remembered one.
pub fn with_account<T>(id: &str, stored: Option<&Stored>, f: impl FnOnce(&AccountRecord) -> T) -> Result<T> {
    let mut f = Some(f);
    if let Some(s) = stored {
        // (The id check that `read_account` makes after decoding.)
        let hit = remembered(id, &s.value, |a| if a.id == id { f.take().map(|f| f(a)) } else { None });
        if let Some(out) = hit.flatten() {
            return Ok(out);
        }
    }
    let (account, _) = read_account(id, stored)?;
    f.take()
        .map(|f| f(&account))
        .ok_or_else(|| LoyaltyError::internal(Reason::InvalidState, "an account was read twice"))
}

pub fn account_not_found(id: &str) -> LoyaltyError {
    LoyaltyError::not_found(Reason::AccountNotFound, format!("loyalty account {id} does not exist"))
        .with_data(&[("accountId", &id)])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::records::json;

    #[test]
    fn the_remembered_program_answers_only_its_own_text() {
        use crate::core::records::{ProgramRecord, ProgramStatus};
        let text = |name: &str, status: ProgramStatus| {
            serde_json::to_string(&ProgramRecord { name: Some(name.into()), status, ..ProgramRecord::default() })
                .unwrap()
        };
        let read = |value: String| read_program(Some(&Stored { value, version: 4 })).unwrap();
        let (active, version) = read(text("Club", ProgramStatus::Active));
        assert_eq!((active.status, active.name.as_deref(), version), (ProgramStatus::Active, Some("Club"), 4));
        // Same length, other content: decoded afresh, every time.
        for _ in 0..2 {
            assert_eq!(read(text("Clob", ProgramStatus::Active)).0.name.as_deref(), Some("Clob"));
            assert_eq!(read(text("Club", ProgramStatus::Paused)).0.status, ProgramStatus::Paused);
        }
        assert!(read_program(Some(&Stored {
            value: text("Club", ProgramStatus::Paused).replace("\"schema\":1", "\"schema\":0"),
            version: 1
        }))
        .is_err());
        assert_eq!(read_program(None).unwrap(), (ProgramRecord::default(), 0));
    }

    #[test]
    fn remembered_accounts_answer_only_their_own_text() {
        let id = "3f2d5b8e-1c4a-4f0e-9b7d-2a6c8e0f1b3d";
        let text = |balance: i64| {
            format!(
                r#"{{"schema":1,"id":"{id}","contactId":"{id}","points":{{"balance":{balance},"earned":0,"adjusted":{balance},"redeemed":0,"expired":0}},"tierPoints":{balance},"revision":2,"createdMs":1,"updatedMs":1,"contact":{{}}}}"#
            )
        };
        let stored = |value: String| Stored { value, version: 3 };
        let (first, _) = read_account(id, Some(&stored(text(5)))).unwrap();
        assert_eq!(first.points.balance, 5);
        // The same id with other text is decoded afresh, not answered from memory.
        let (second, version) = read_account(id, Some(&stored(text(7)))).unwrap();
        assert_eq!((second.points.balance, version), (7, 3));
        // What a write remembers is what a read of that text gets.
        let mut written = second.clone();
        written.points.balance = 9;
        let written_text = json::account(&written);
        remember_account(&written_text, &written);
        assert_eq!(read_account(id, Some(&stored(written_text))).unwrap().0, written);
        assert_eq!(read_account(id, Some(&stored(text(5)))).unwrap().0.points.balance, 5);
        // A corrupt text is refused even right after a good one.
        assert!(read_account(id, Some(&stored(text(5).replace("\"revision\":2", "\"revision\":0")))).is_err());
        // Reading in place answers what a read answers: remembered, changed, or absent.
        let balance = |value: String| with_account(id, Some(&stored(value)), |a| a.points.balance);
        assert_eq!(balance(text(5)).unwrap(), 5);
        assert_eq!(balance(text(5)).unwrap(), 5);
        assert_eq!(balance(text(6)).unwrap(), 6);
        assert!(with_account(id, None, |a| a.points.balance).is_err());
        // The remembered text of this id under another id's key (one sharing its slot) is not
        // that account.
        let other = (0..100_000)
            .map(|n| format!("3f2d5b8e-1c4a-4f0e-9b7d-{n:012x}"))
            .find(|o| o != id && memo_slot(o) == memo_slot(id))
            .unwrap();
        assert!(with_account(&other, Some(&stored(text(6))), |a| a.points.balance).is_err());
    }
}
