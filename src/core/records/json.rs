//! Hand-written JSON for what every balance change and every read writes: the account and
//! transaction records, the idempotency record, and the account and transaction views.
//!
//! serde_json's writer passes each fragment through several calls (escaping byte by byte, an
//! `io::Write` per piece, error mapping), and the size-optimized build inlines none of them: it
//! was a third of an adjustment's time in wasm and more of a read's. These writers produce the
//! same text as serde_json would for the same shapes (field order, omitted empty options,
//! escaping), which the tests check against serde-derived reference shapes, so stored records
//! keep their exact format. Every other record and answer still goes through serde_json.

use crate::core::small::decimal;

use super::{AccountRecord, EarnRequest, Points, TransactionRecord, TransactionType};

/// A JSON text being written, as bytes that are always UTF-8 (ASCII punctuation, digits, and
/// whole strings split only around ASCII bytes). Commas are placed by looking at the last byte
/// written: after `{` (or nothing) a field needs none.
pub struct Out(Vec<u8>);

/// `"name":`, the start of a field, built at compile time.
macro_rules! name {
    ($name:literal) => {
        concat!("\"", $name, "\":")
    };
}

impl Out {
    pub fn with_capacity(n: usize) -> Out {
        Out(Vec::with_capacity(n))
    }

    pub fn finish(self) -> String {
        // SAFETY: only UTF-8 is ever appended (see the type's comment): whole `&str`s, slices of
        // them cut next to ASCII bytes, and ASCII.
        unsafe { String::from_utf8_unchecked(self.0) }
    }

    /// Appends JSON text as it is.
    pub fn raw(&mut self, text: &str) -> &mut Out {
        self.0.extend_from_slice(text.as_bytes());
        self
    }

    /// Starts a field, given as `"name":` (see `name!`): the comma if one is due, then the name.
    fn field(&mut self, quoted_name: &str) -> &mut Out {
        if !matches!(self.0.last(), None | Some(b'{')) {
            self.0.push(b',');
        }
        self.raw(quoted_name)
    }

    pub fn open(&mut self) -> &mut Out {
        self.0.push(b'{');
        self
    }

    pub fn close(&mut self) -> &mut Out {
        self.0.push(b'}');
        self
    }

    /// A string, escaped as serde_json escapes: `"`, `\` and control characters only.
    pub fn str(&mut self, s: &str) -> &mut Out {
        self.0.push(b'"');
        let bytes = s.as_bytes();
        let mut start = 0;
        // Most strings need no escaping: the loop starts at the first byte that does, if any.
        let first = crate::core::small::find_special(bytes, 0);
        for (i, &b) in bytes.iter().enumerate().skip(first) {
            let short: &[u8] = match b {
                b'"' => b"\\\"",
                b'\\' => b"\\\\",
                b'\n' => b"\\n",
                b'\r' => b"\\r",
                b'\t' => b"\\t",
                0x08 => b"\\b",
                0x0c => b"\\f",
                0..=0x1f => b"",
                _ => continue,
            };
            self.0.extend_from_slice(bytes.get(start..i).unwrap_or_default());
            if short.is_empty() {
                const HEX: &[u8; 16] = b"0123456789abcdef";
                self.0.extend_from_slice(b"\\u00");
                for nibble in [b >> 4, b & 15] {
                    self.0.push(HEX.get(usize::from(nibble)).copied().unwrap_or(b'0'));
                }
            } else {
                self.0.extend_from_slice(short);
            }
            start = i + 1;
        }
        self.0.extend_from_slice(bytes.get(start..).unwrap_or_default());
        self.0.push(b'"');
        self
    }

    pub fn uint(&mut self, n: u64) -> &mut Out {
        let mut digits = [0u8; 20];
        let at = decimal(&mut digits, n);
        self.0.extend_from_slice(digits.get(at..).unwrap_or_default());
        self
    }

    pub fn int(&mut self, n: i64) -> &mut Out {
        if n < 0 {
            self.0.push(b'-');
        }
        self.uint(n.unsigned_abs())
    }

    pub fn bool(&mut self, b: bool) -> &mut Out {
        self.raw(if b { "true" } else { "false" })
    }

    /// A field holding a string, left out when `None`.
    fn opt_str(&mut self, quoted_name: &str, value: Option<&str>) -> &mut Out {
        if let Some(v) = value {
            self.field(quoted_name).str(v);
        }
        self
    }
}

fn points(out: &mut Out, p: &Points) {
    out.open();
    out.field(name!("balance")).int(p.balance);
    out.field(name!("earned")).int(p.earned);
    out.field(name!("adjusted")).int(p.adjusted);
    out.field(name!("redeemed")).int(p.redeemed);
    out.field(name!("expired")).int(p.expired);
    out.close();
}

fn account_record(out: &mut Out, a: &AccountRecord) {
    out.open();
    out.field(name!("schema")).uint(a.schema.into());
    out.field(name!("id")).str(&a.id);
    out.field(name!("contactId")).str(&a.contact_id);
    points(out.field(name!("points")), &a.points);
    out.field(name!("tierPoints")).int(a.tier_points);
    out.field(name!("revision")).uint(a.revision);
    out.field(name!("createdMs")).int(a.created_ms);
    out.field(name!("updatedMs")).int(a.updated_ms);
    if let Some(ms) = a.last_activity_ms {
        out.field(name!("lastActivityMs")).int(ms);
    }
    if a.reward_available {
        out.field(name!("rewardAvailable")).bool(true);
    }
    if a.flips > 0 {
        out.field(name!("flips")).uint(a.flips);
    }
    out.opt_str(name!("tierId"), a.tier.id.as_deref());
    if let Some(ms) = a.tier.ms {
        out.field(name!("tierMs")).int(ms);
    }
    if a.tier.months != 12 {
        out.field(name!("tierMonths")).uint(a.tier.months.into());
    }
    if !a.tier.window.is_empty() {
        out.field(name!("window")).raw("[");
        for (i, (month, points)) in a.tier.window.iter().enumerate() {
            out.raw(if i == 0 { "[" } else { ",[" }).int(*month).raw(",").int(*points).raw("]");
        }
        out.raw("]");
    }
    if let Some((month, points, revision)) = a.tier.carry {
        out.field(name!("tierCarry")).raw("[").int(month).raw(",").int(points).raw(",").uint(revision).raw("]");
    }
    if let Some((ms, amount)) = a.expiring {
        out.field(name!("expiring")).raw("[").int(ms).raw(",").int(amount).raw("]");
    }
    if let Some(ms) = a.due_ms {
        out.field(name!("dueMs")).int(ms);
    }
    let c = &a.contact;
    out.field(name!("contact")).open();
    out.opt_str(name!("memberId"), c.member_id.as_deref());
    out.opt_str(name!("name"), c.name.as_deref());
    out.opt_str(name!("email"), c.email.as_deref());
    if let Some(p) = &c.picture {
        out.field(name!("picture")).open();
        out.field(name!("url")).str(&p.url);
        out.field(name!("height")).uint(p.height.into());
        out.field(name!("width")).uint(p.width.into());
        out.close();
    }
    out.close().close();
}

/// `acct/<id>`.
pub fn account(a: &AccountRecord) -> String {
    let mut out = Out::with_capacity(400);
    account_record(&mut out, a);
    out.finish()
}

/// `adjustInfo`, `redeemInfo` and `refundInfo`, where present (the same in the record and the view).
fn adjust_info(out: &mut Out, t: &TransactionRecord) {
    if let (Some(i), TransactionType::Expire) = (&t.adjust_info, t.transaction_type) {
        out.field(name!("expireInfo")).open();
        out.field(name!("amountBefore")).int(i.amount_before);
        out.field(name!("amountAfter")).int(i.amount_after);
        out.close();
    } else if let Some(i) = &t.adjust_info {
        out.field(name!("adjustInfo")).open();
        out.field(name!("appId")).str(&i.app_id);
        out.field(name!("amountBefore")).int(i.amount_before);
        out.field(name!("amountAfter")).int(i.amount_after);
        out.close();
    }
    if let Some(i) = &t.redeem_info {
        out.field(name!("redeemInfo")).open();
        out.field(name!("rewardId")).str(&i.reward_id);
        out.field(name!("rewardType")).str(&i.reward_type);
        out.field(name!("referenceEntityId")).str(&i.reference_entity_id);
        out.close();
    }
    if let Some(i) = &t.refund_info {
        out.field(name!("refundInfo")).open();
        out.field(name!("appId")).str(&i.app_id);
        out.field(name!("refundedTransactionId")).str(&i.refunded_transaction_id);
        out.close();
    }
}

/// `txn/<id>` and its copies in the ledgers.
pub fn transaction(t: &TransactionRecord) -> String {
    let mut out = Out::with_capacity(400);
    out.open();
    out.field(name!("schema")).uint(t.schema.into());
    out.field(name!("id")).str(&t.id);
    out.field(name!("accountId")).str(&t.account_id);
    out.field(name!("accountRevision")).uint(t.account_revision);
    out.field(name!("createdMs")).int(t.created_ms);
    out.field(name!("amount")).int(t.amount);
    out.field(name!("transactionType")).str(t.transaction_type.as_str());
    out.field(name!("description")).str(&t.description);
    out.field(name!("idempotencyKey")).str(&t.idempotency_key);
    if let Some(e) = &t.earn_info {
        out.field(name!("earnInfo")).open();
        out.field(name!("appId")).str(&e.app_id);
        out.field(name!("activityType")).str(&e.activity_type);
        out.opt_str(name!("orderId"), e.order_id.as_deref());
        out.opt_str(name!("channel"), e.channel.as_deref());
        out.close();
    }
    adjust_info(&mut out, t);
    out.close();
    out.finish()
}

/// `contact/<id>` and `member/<id>`: the account they name.
pub fn index(account_id: &str) -> String {
    let mut out = Out::with_capacity(32 + account_id.len());
    out.open();
    out.field(name!("schema")).uint(u64::from(super::SCHEMA));
    out.field(name!("accountId")).str(account_id);
    out.close();
    out.finish()
}

/// `idem/<key>`.
#[cfg(test)]
pub fn idempotency(r: &super::IdempotencyRecord) -> String {
    idempotency_of(r.schema, &r.request, &r.transaction_id, &account(&r.account))
}

/// `idem/<key>` from its parts, the account given as its record text (as [`account`] writes it:
/// `earnPoints` has just written it for `acct/<id>`).
pub fn idempotency_of(schema: u32, q: &EarnRequest, transaction_id: &str, account_text: &str) -> String {
    let mut out = Out::with_capacity(280 + account_text.len());
    out.open();
    out.field(name!("schema")).uint(schema.into());
    out.field(name!("request")).open();
    out.field(name!("accountId")).str(&q.account_id);
    out.field(name!("amount")).int(q.amount);
    out.field(name!("appId")).str(&q.app_id);
    out.opt_str(name!("description"), q.description.as_deref());
    out.opt_str(name!("activityType"), q.activity_type.as_deref());
    out.opt_str(name!("orderId"), q.order_id.as_deref());
    out.opt_str(name!("channel"), q.channel.as_deref());
    out.close();
    out.field(name!("transactionId")).str(transaction_id);
    out.field(name!("account")).raw(account_text);
    out.close();
    out.finish()
}

/// The account as the SDK answers it (see `view.rs`): dates as epoch milliseconds.
pub fn account_view(a: &AccountRecord) -> String {
    let mut out = Out::with_capacity(560);
    account_view_into(&mut out, a);
    out.finish()
}

fn account_view_into(out: &mut Out, a: &AccountRecord) {
    let c = &a.contact;
    out.open();
    out.field(name!("_id")).str(&a.id);
    out.field(name!("contactId")).str(&a.contact_id);
    out.opt_str(name!("memberId"), c.member_id.as_deref());
    points(out.field(name!("points")), &a.points);
    out.field(name!("rewardAvailable")).bool(a.reward_available);
    out.field(name!("_createdDate")).int(a.created_ms);
    out.field(name!("_updatedDate")).int(a.updated_ms);
    if let Some(ms) = a.last_activity_ms {
        out.field(name!("lastActivityDate")).int(ms);
    }
    out.field(name!("revision")).raw("\"").uint(a.revision).raw("\"");
    out.field(name!("tier")).open().opt_str(name!("_id"), a.tier.id.as_deref());
    if let Some(ms) = a.tier.ms {
        out.field(name!("_updatedDate")).int(ms);
    }
    out.field(name!("points")).int(a.tier_points).close();
    out.field(name!("contact")).open();
    out.field(name!("_id")).str(&a.contact_id);
    out.opt_str(name!("name"), c.name.as_deref());
    out.opt_str(name!("email"), c.email.as_deref());
    out.opt_str(name!("displayName"), c.name.as_deref().or(c.email.as_deref()));
    let picture = c.picture.as_ref();
    out.field(name!("picture")).open();
    out.field(name!("_id")).str("");
    out.field(name!("url")).str(picture.map_or("", |p| p.url.as_str()));
    out.field(name!("height")).uint(picture.map_or(0, |p| p.height).into());
    out.field(name!("width")).uint(picture.map_or(0, |p| p.width).into());
    out.close().close();
    out.field(name!("pointsExpiration")).open();
    if let Some((ms, _)) = a.expiring {
        out.field(name!("expirationDate")).int(ms);
    }
    out.field(name!("expiringPointsAmount")).int(a.expiring.map_or(0, |e| e.1)).close();
    out.close();
}

/// A transaction as the SDK answers it (see `view.rs`).
pub fn transaction_view(t: &TransactionRecord) -> String {
    let mut out = Out::with_capacity(360);
    out.open();
    out.field(name!("_id")).str(&t.id);
    out.field(name!("accountId")).str(&t.account_id);
    out.field(name!("_createdDate")).int(t.created_ms);
    out.field(name!("amount")).int(t.amount);
    out.field(name!("transactionType")).str(t.transaction_type.as_str());
    out.field(name!("description")).str(&t.description);
    out.field(name!("idempotencyKey")).str(&t.idempotency_key);
    if let (Some(e), TransactionType::Earn) = (&t.earn_info, t.transaction_type) {
        out.field(name!("earnInfo")).open();
        out.field(name!("appId")).str(&e.app_id);
        out.field(name!("activityType")).str(&e.activity_type);
        out.opt_str(name!("orderId"), e.order_id.as_deref());
        if let Some(channel) = &e.channel {
            out.field(name!("followedSocialMedia")).open().field(name!("channel")).str(channel).close();
        }
        out.close();
    }
    adjust_info(&mut out, t);
    out.close();
    out.finish()
}

/// An answer that is one account: `{"account": <view>}`, with `"transactionId"` when given. As
/// JSON, or `packed`: the same values as numbers and strings, which the JS face builds into the
/// same object without parsing (`js/shapes.js`, `accountAnswer`). Packed form: decimal numbers
/// separated by commas, a newline, then the strings back to back; the numbers are
/// `1, flags, balance, earned, adjusted, redeemed, expired, created ms, updated ms, last
/// activity ms, revision, tier points, picture height, picture width, tier ms`, then the length
/// in UTF-16 units of each string: the id, the contact id, the member id, the name, the email, the
/// picture URL, the transaction id and the tier id (absent ones empty). Flags: 1 member id, 2
/// name, 4 email, 8 last activity, 16 transaction id, 32 reward available, 64 tier id, 128 tier
/// ms, 256 expiration date; then (after the strings' lengths) the expiration date and the expiring
/// points.
pub fn account_answer(a: &AccountRecord, transaction_id: Option<&str>, packed: bool) -> String {
    if !packed {
        let mut out = Out::with_capacity(640);
        out.raw("{\"account\":");
        account_view_into(&mut out, a);
        if let Some(id) = transaction_id {
            out.raw(",\"transactionId\":").str(id);
        }
        out.close();
        return out.finish();
    }
    let c = &a.contact;
    let picture = c.picture.as_ref();
    let strings = [
        a.id.as_str(),
        &a.contact_id,
        c.member_id.as_deref().unwrap_or_default(),
        c.name.as_deref().unwrap_or_default(),
        c.email.as_deref().unwrap_or_default(),
        picture.map_or("", |p| p.url.as_str()),
        transaction_id.unwrap_or_default(),
        a.tier.id.as_deref().unwrap_or_default(),
    ];
    let flags = u64::from(c.member_id.is_some())
        | u64::from(c.name.is_some()) << 1
        | u64::from(c.email.is_some()) << 2
        | u64::from(a.last_activity_ms.is_some()) << 3
        | u64::from(transaction_id.is_some()) << 4
        | u64::from(a.reward_available) << 5
        | u64::from(a.tier.id.is_some()) << 6
        | u64::from(a.tier.ms.is_some()) << 7
        | u64::from(a.expiring.is_some()) << 8;
    let p = &a.points;
    let mut out = Packer::with_capacity(25, 232);
    for n in [
        1,
        flags as i64,
        p.balance,
        p.earned,
        p.adjusted,
        p.redeemed,
        p.expired,
        a.created_ms,
        a.updated_ms,
        a.last_activity_ms.unwrap_or(0),
        a.revision as i64,
        a.tier_points,
        picture.map_or(0, |p| p.height).into(),
        picture.map_or(0, |p| p.width).into(),
        a.tier.ms.unwrap_or(0),
    ] {
        out.int(n);
    }
    for s in strings {
        out.text(s);
    }
    out.int(a.expiring.map_or(0, |e| e.0));
    out.int(a.expiring.map_or(0, |e| e.1));
    out.finish()
}

/// Packs numbers and strings for the JS face to read without parsing: `n,n,...\n` followed by
/// the strings back to back; each string's length (UTF-16 code units, as JS slices) is among the
/// numbers, where the reader expects it.
pub struct Packer {
    head: Vec<u8>,
    body: String,
}

impl Packer {
    /// Room for about `numbers` numbers and `text` bytes of strings (growing a string from
    /// nothing reallocates it at each doubling).
    pub fn with_capacity(numbers: usize, text: usize) -> Packer {
        Packer { head: Vec::with_capacity(numbers * 8), body: String::with_capacity(text) }
    }

    pub fn int(&mut self, n: i64) {
        // Every number is preceded by a comma (`finish` drops the first), written with its sign
        // and digits in one copy.
        let mut digits = [0u8; 22];
        let Some((_, tail)) = digits.split_first_chunk_mut::<2>() else { return };
        let Ok(tail) = <&mut [u8; 20]>::try_from(tail) else { return };
        let mut at = 2 + crate::core::small::decimal(tail, n.unsigned_abs());
        if n < 0 {
            at -= 1;
            if let Some(sign) = digits.get_mut(at) {
                *sign = b'-';
            }
        }
        at -= 1;
        if let Some(comma) = digits.get_mut(at) {
            *comma = b',';
        }
        self.head.extend_from_slice(digits.get(at..).unwrap_or_default());
    }

    pub fn text(&mut self, s: &str) {
        self.int(crate::core::small::utf16_len(s) as i64);
        self.body.push_str(s);
    }

    pub fn finish(self) -> String {
        let mut out = String::with_capacity(self.head.len() + self.body.len());
        // The head is ASCII: digits, signs and commas.
        out.push_str(std::str::from_utf8(self.head.get(1..).unwrap_or_default()).unwrap_or_default());
        out.push('\n');
        out.push_str(&self.body);
        out
    }
}

// ------------------------------------------------------------------ reading

/// Reads the text the writers above produce, and nothing else: a record in any other form
/// (another field order, whitespace, escapes, a float, an unknown field) is left to serde_json
/// (`None`), so whatever this reads, serde_json reads the same way. A record read back is
/// almost always in this form, and serde_json's generic parse was the largest cost of a read.
struct In<'a> {
    text: &'a str,
    bytes: &'a [u8],
    at: usize,
}

impl<'a> In<'a> {
    fn new(text: &'a str) -> In<'a> {
        In { text, bytes: text.as_bytes(), at: 0 }
    }

    /// The exact text `s` next; nothing is consumed when it is not.
    fn lit(&mut self, s: &str) -> Option<()> {
        let end = self.at + s.len();
        let next = self.bytes.get(self.at..end)?;
        (next.len() == s.len() && crate::core::small::byte_order(next, s.as_bytes()).is_eq()).then(|| self.at = end)
    }

    /// A string without escapes (borrowed: nothing is allocated until the whole record read).
    fn str(&mut self) -> Option<&'a str> {
        self.lit("\"")?;
        let start = self.at;
        self.at = crate::core::small::find_special(self.bytes, start);
        if self.bytes.get(self.at) != Some(&b'"') {
            return None;
        }
        // Cut next to ASCII bytes of the text: on character boundaries.
        let text = self.text.get(start..self.at)?;
        self.at += 1;
        Some(text)
    }

    fn uint(&mut self) -> Option<u64> {
        let start = self.at;
        let mut n: u64 = 0;
        while let Some(d) = self.bytes.get(self.at).filter(|d| d.is_ascii_digit()) {
            // Nineteen digits cannot overflow; only the twentieth is checked (no 128-bit multiply).
            let d = u64::from(d - b'0');
            n = if self.at - start < 19 { n * 10 + d } else { n.checked_mul(10)?.checked_add(d)? };
            self.at += 1;
        }
        let digits = self.at - start;
        let leading_zero = digits > 1 && self.bytes.get(start) == Some(&b'0');
        let float = matches!(self.bytes.get(self.at), Some(b'.' | b'e' | b'E'));
        (digits > 0 && !leading_zero && !float).then_some(n)
    }

    fn int(&mut self) -> Option<i64> {
        if self.lit("-").is_some() {
            // (`-0` is left to serde_json.)
            return 0i64.checked_sub_unsigned(self.uint().filter(|&n| n > 0)?);
        }
        i64::try_from(self.uint()?).ok()
    }

    fn u32(&mut self) -> Option<u32> {
        u32::try_from(self.uint()?).ok()
    }

    /// `,"name":` before a field of an object that has one already, `"name":` before the first.
    fn field(&mut self, first: &mut bool, quoted_name: &str) -> bool {
        let save = self.at;
        if (*first || self.lit(",").is_some()) && self.lit(quoted_name).is_some() {
            *first = false;
            return true;
        }
        self.at = save;
        false
    }

    fn opt_str(&mut self, first: &mut bool, quoted_name: &str) -> Option<Option<&'a str>> {
        if self.field(first, quoted_name) {
            return self.str().map(Some);
        }
        Some(None)
    }

    fn end(&mut self) -> Option<()> {
        self.lit("}")?;
        (self.at == self.bytes.len()).then_some(())
    }
}

/// `acct/<id>` as [`account`] writes it.
pub fn read_account(text: &str) -> Option<AccountRecord> {
    let mut r = In::new(text);
    r.lit(concat!("{", name!("schema")))?;
    let schema = r.u32()?;
    r.lit(concat!(",", name!("id")))?;
    let id = r.str()?;
    r.lit(concat!(",", name!("contactId")))?;
    let contact_id = r.str()?;
    r.lit(concat!(",", name!("points"), "{", name!("balance")))?;
    let balance = r.int()?;
    r.lit(concat!(",", name!("earned")))?;
    let earned = r.int()?;
    r.lit(concat!(",", name!("adjusted")))?;
    let adjusted = r.int()?;
    r.lit(concat!(",", name!("redeemed")))?;
    let redeemed = r.int()?;
    r.lit(concat!(",", name!("expired")))?;
    let expired = r.int()?;
    r.lit(concat!("},", name!("tierPoints")))?;
    let tier_points = r.int()?;
    r.lit(concat!(",", name!("revision")))?;
    let revision = r.uint()?;
    r.lit(concat!(",", name!("createdMs")))?;
    let created_ms = r.int()?;
    r.lit(concat!(",", name!("updatedMs")))?;
    let updated_ms = r.int()?;
    let last_activity_ms = match r.lit(concat!(",", name!("lastActivityMs"))) {
        Some(()) => Some(r.int()?),
        None => None,
    };
    let reward_available = r.lit(concat!(",", name!("rewardAvailable"), "true")).is_some();
    let flips = match r.lit(concat!(",", name!("flips"))) {
        Some(()) => r.uint()?,
        None => 0,
    };
    let tier_id = match r.lit(concat!(",", name!("tierId"))) {
        Some(()) => Some(r.str()?.to_owned()),
        None => None,
    };
    let tier_ms = match r.lit(concat!(",", name!("tierMs"))) {
        Some(()) => Some(r.int()?),
        None => None,
    };
    let tier_months = match r.lit(concat!(",", name!("tierMonths"))) {
        Some(()) => r.u32()?,
        None => 12,
    };
    let mut window = Vec::new();
    if r.lit(concat!(",", name!("window"), "[")).is_some() {
        loop {
            r.lit(if window.is_empty() { "[" } else { ",[" })?;
            let month = r.int()?;
            r.lit(",")?;
            let points = r.int()?;
            r.lit("]")?;
            window.push((month, points));
            if r.lit("]").is_some() {
                break;
            }
        }
    }
    let carry = match r.lit(concat!(",", name!("tierCarry"), "[")) {
        Some(()) => {
            let month = r.int()?;
            r.lit(",")?;
            let points = r.int()?;
            r.lit(",")?;
            let revision = r.uint()?;
            r.lit("]")?;
            Some((month, points, revision))
        }
        None => None,
    };
    let expiring = match r.lit(concat!(",", name!("expiring"), "[")) {
        Some(()) => {
            let ms = r.int()?;
            r.lit(",")?;
            let amount = r.int()?;
            r.lit("]")?;
            Some((ms, amount))
        }
        None => None,
    };
    let due_ms = match r.lit(concat!(",", name!("dueMs"))) {
        Some(()) => Some(r.int()?),
        None => None,
    };
    r.lit(concat!(",", name!("contact"), "{"))?;
    let mut first = true;
    let member_id = r.opt_str(&mut first, name!("memberId"))?;
    let name = r.opt_str(&mut first, name!("name"))?;
    let email = r.opt_str(&mut first, name!("email"))?;
    let picture = if r.field(&mut first, name!("picture")) {
        r.lit(concat!("{", name!("url")))?;
        let url = r.str()?;
        r.lit(concat!(",", name!("height")))?;
        let height = r.u32()?;
        r.lit(concat!(",", name!("width")))?;
        let width = r.u32()?;
        r.lit("}")?;
        Some((url, height, width))
    } else {
        None
    };
    r.lit("}")?;
    r.end()?;
    Some(AccountRecord {
        schema,
        id: id.to_owned(),
        contact_id: contact_id.to_owned(),
        points: Points { balance, earned, adjusted, redeemed, expired },
        tier_points,
        revision,
        created_ms,
        updated_ms,
        last_activity_ms,
        reward_available,
        flips,
        tier: super::TierState { id: tier_id, ms: tier_ms, months: tier_months, window, carry },
        expiring,
        due_ms,
        contact: super::ContactSnapshot {
            member_id: member_id.map(str::to_owned),
            name: name.map(str::to_owned),
            email: email.map(str::to_owned),
            picture: picture.map(|(url, height, width)| super::Picture { url: url.to_owned(), height, width }),
        },
    })
}

/// `txn/<id>` (and its copies) as [`transaction`] writes it.
pub fn read_transaction(text: &str) -> Option<TransactionRecord> {
    let mut r = In::new(text);
    r.lit(concat!("{", name!("schema")))?;
    let schema = r.u32()?;
    r.lit(concat!(",", name!("id")))?;
    let id = r.str()?;
    r.lit(concat!(",", name!("accountId")))?;
    let account_id = r.str()?;
    r.lit(concat!(",", name!("accountRevision")))?;
    let account_revision = r.uint()?;
    r.lit(concat!(",", name!("createdMs")))?;
    let created_ms = r.int()?;
    r.lit(concat!(",", name!("amount")))?;
    let amount = r.int()?;
    r.lit(concat!(",", name!("transactionType")))?;
    // (An `EXPIRE`, rare, is left to the general reader.)
    let transaction_type = match r.str()? {
        "EARN" => TransactionType::Earn,
        "ADJUST" => TransactionType::Adjust,
        "REDEEM" => TransactionType::Redeem,
        "REFUND" => TransactionType::Refund,
        _ => return None,
    };
    r.lit(concat!(",", name!("description")))?;
    let description = r.str()?;
    r.lit(concat!(",", name!("idempotencyKey")))?;
    let idempotency_key = r.str()?;
    let earn_info = match r.lit(concat!(",", name!("earnInfo"), "{", name!("appId"))) {
        Some(()) => {
            let app_id = r.str()?;
            r.lit(concat!(",", name!("activityType")))?;
            let activity_type = r.str()?;
            let mut first = false;
            let order_id = r.opt_str(&mut first, name!("orderId"))?;
            let channel = r.opt_str(&mut first, name!("channel"))?;
            r.lit("}")?;
            Some((app_id, activity_type, order_id, channel))
        }
        None => None,
    };
    let adjust_info = match r.lit(concat!(",", name!("adjustInfo"), "{", name!("appId"))) {
        Some(()) => {
            let app_id = r.str()?;
            r.lit(concat!(",", name!("amountBefore")))?;
            let amount_before = r.int()?;
            r.lit(concat!(",", name!("amountAfter")))?;
            let amount_after = r.int()?;
            r.lit("}")?;
            Some((app_id, amount_before, amount_after))
        }
        None => None,
    };
    let redeem_info = match r.lit(concat!(",", name!("redeemInfo"), "{", name!("rewardId"))) {
        Some(()) => {
            let reward_id = r.str()?;
            r.lit(concat!(",", name!("rewardType")))?;
            let reward_type = r.str()?;
            r.lit(concat!(",", name!("referenceEntityId")))?;
            let reference_entity_id = r.str()?;
            r.lit("}")?;
            Some(super::RedeemInfo {
                reward_id: reward_id.to_owned(),
                reward_type: reward_type.to_owned(),
                reference_entity_id: reference_entity_id.to_owned(),
            })
        }
        None => None,
    };
    let refund_info = match r.lit(concat!(",", name!("refundInfo"), "{", name!("appId"))) {
        Some(()) => {
            let app_id = r.str()?;
            r.lit(concat!(",", name!("refundedTransactionId")))?;
            let refunded = r.str()?;
            r.lit("}")?;
            Some(super::RefundInfo { app_id: app_id.to_owned(), refunded_transaction_id: refunded.to_owned() })
        }
        None => None,
    };
    r.end()?;
    Some(TransactionRecord {
        schema,
        id: id.to_owned(),
        account_id: account_id.to_owned(),
        account_revision,
        created_ms,
        amount,
        transaction_type,
        description: description.to_owned(),
        idempotency_key: idempotency_key.to_owned(),
        earn_info: earn_info.map(|(app_id, activity_type, order_id, channel)| super::EarnInfo {
            app_id: app_id.to_owned(),
            activity_type: activity_type.to_owned(),
            order_id: order_id.map(str::to_owned),
            channel: channel.map(str::to_owned),
        }),
        adjust_info: adjust_info.map(|(app_id, amount_before, amount_after)| super::AdjustInfo {
            app_id: app_id.to_owned(),
            amount_before,
            amount_after,
        }),
        redeem_info,
        refund_info,
    })
}

// (proptest is a dev-dependency of native builds only.)
#[cfg(test)]
#[cfg(not(target_arch = "wasm32"))]
mod tests {
    use proptest::prelude::*;

    use super::super::{
        view, AccountRecord, AdjustInfo, ContactSnapshot, EarnInfo, EarnRequest, IdempotencyRecord, Picture, Points,
        RedeemInfo, RefundInfo, TierState, TransactionRecord, TransactionType,
    };

    /// Strings that exercise every escaping rule: quotes, backslashes, each control character,
    /// DEL, non-ASCII and astral characters.
    fn text() -> impl Strategy<Value = String> {
        prop_oneof![
            "[a-z0-9-]{0,12}",
            proptest::collection::vec(
                prop_oneof![
                    (0u32..0x20).prop_map(|c| char::from_u32(c).unwrap_or('x')),
                    Just('"'),
                    Just('\\'),
                    Just('/'),
                    Just('\u{7f}'),
                    Just('é'),
                    Just('\u{2028}'),
                    Just('😀'),
                    Just('a'),
                ],
                0..10
            )
            .prop_map(|cs| cs.into_iter().collect()),
        ]
    }

    fn int() -> impl Strategy<Value = i64> {
        prop_oneof![Just(0i64), Just(i64::MIN), Just(i64::MAX), -1000i64..1000, any::<i64>()]
    }

    fn account() -> impl Strategy<Value = AccountRecord> {
        let points = (int(), int(), int(), int(), int()).prop_map(|(balance, earned, adjusted, redeemed, expired)| {
            Points { balance, earned, adjusted, redeemed, expired }
        });
        let picture =
            proptest::option::of((text(), any::<u32>(), any::<u32>()).prop_map(|(url, height, width)| Picture {
                url,
                height,
                width,
            }));
        let contact =
            (proptest::option::of(text()), proptest::option::of(text()), proptest::option::of(text()), picture)
                .prop_map(|(member_id, name, email, picture)| ContactSnapshot { member_id, name, email, picture });
        let dates = (int(), int(), proptest::option::of(int()), any::<bool>(), prop_oneof![Just(0u64), any::<u64>()]);
        let tier = (
            proptest::option::of(text()),
            proptest::option::of(int()),
            proptest::collection::vec((int(), int()), 0..4),
            proptest::option::of((int(), int(), any::<u64>())),
        )
            .prop_map(|(id, ms, window, carry)| TierState { id, ms, months: 12, window, carry });
        (text(), text(), points, int(), any::<u64>(), dates, contact, tier).prop_map(
            |(
                id,
                contact_id,
                points,
                tier_points,
                revision,
                (created_ms, updated_ms, last_activity_ms, reward_available, flips),
                contact,
                tier,
            )| {
                AccountRecord {
                    schema: 1,
                    id,
                    contact_id,
                    points,
                    tier_points,
                    revision,
                    created_ms,
                    updated_ms,
                    last_activity_ms,
                    reward_available,
                    flips,
                    tier,
                    expiring: None,
                    due_ms: None,
                    contact,
                }
            },
        )
    }

    fn transaction() -> impl Strategy<Value = TransactionRecord> {
        let earn = proptest::option::of(
            (text(), text(), proptest::option::of(text()), proptest::option::of(text())).prop_map(
                |(app_id, activity_type, order_id, channel)| EarnInfo { app_id, activity_type, order_id, channel },
            ),
        );
        let adjust =
            proptest::option::of((text(), int(), int()).prop_map(|(app_id, amount_before, amount_after)| AdjustInfo {
                app_id,
                amount_before,
                amount_after,
            }));
        let kind = prop_oneof![
            Just(TransactionType::Earn),
            Just(TransactionType::Adjust),
            Just(TransactionType::Redeem),
            Just(TransactionType::Refund)
        ];
        let redeem =
            proptest::option::of((text(), text(), text()).prop_map(|(reward_id, reward_type, reference_entity_id)| {
                RedeemInfo { reward_id, reward_type, reference_entity_id }
            }));
        let refund = proptest::option::of(
            (text(), text())
                .prop_map(|(app_id, refunded_transaction_id)| RefundInfo { app_id, refunded_transaction_id }),
        );
        let infos = (earn, adjust, redeem, refund);
        ((text(), text(), any::<u64>(), int(), int()), kind, (text(), text()), infos).prop_map(
            |(
                (id, account_id, account_revision, created_ms, amount),
                transaction_type,
                (description, idempotency_key),
                (earn_info, adjust_info, redeem_info, refund_info),
            )| {
                TransactionRecord {
                    schema: 1,
                    id,
                    account_id,
                    account_revision,
                    created_ms,
                    amount,
                    transaction_type,
                    description,
                    idempotency_key,
                    earn_info,
                    adjust_info,
                    redeem_info,
                    refund_info,
                }
            },
        )
    }

    const MAX_SAFE: i64 = crate::core::validate::MAX_SAFE_INTEGER;

    fn safe(n: i64) -> bool {
        n.unsigned_abs() <= crate::core::validate::MAX_SAFE_INTEGER as u64
    }

    fn safe_u(n: u64) -> bool {
        n <= crate::core::validate::MAX_SAFE_INTEGER as u64
    }

    fn serde<T: serde::Serialize>(value: &T) -> String {
        serde_json::to_string(value).unwrap()
    }

    proptest! {
        #[test]
        fn account_text_is_serde_json_text(a in account()) {
            prop_assert_eq!(super::account(&a), serde(&a));
            prop_assert_eq!(super::account_view(&a), serde(&view::account(&a)));
        }

        #[test]
        fn index_text_is_serde_json_text(account_id in text()) {
            let r = super::super::IndexRecord { schema: super::super::SCHEMA, account_id: account_id.clone() };
            prop_assert_eq!(super::index(&account_id), serde(&r));
        }

        #[test]
        fn transaction_text_is_serde_json_text(t in transaction()) {
            prop_assert_eq!(super::transaction(&t), serde(&t));
            prop_assert_eq!(super::transaction_view(&t), serde(&view::transaction(&t)));
        }

        #[test]
        fn idempotency_text_is_serde_json_text(
            account in account(),
            (account_id, app_id, transaction_id) in (text(), text(), text()),
            amount in int(),
            options in proptest::collection::vec(proptest::option::of(text()), 4),
        ) {
            let [description, activity_type, order_id, channel] = <[Option<String>; 4]>::try_from(options).unwrap();
            let r = IdempotencyRecord {
                schema: 1,
                request: EarnRequest { account_id, amount, app_id, description, activity_type, order_id, channel },
                transaction_id,
                account,
            };
            prop_assert_eq!(super::idempotency(&r), serde(&r));
        }
    }

    /// Edits a text at `at` (insert, delete or replace one byte with one of a few JSON-ish
    /// characters); `None` when the result is not UTF-8.
    fn edit(text: &str, at: usize, how: u8, with: u8) -> Option<String> {
        let mut bytes = text.as_bytes().to_vec();
        let at = at % (bytes.len() + 1);
        const CHARS: &[u8] = b"0 1-9.e\"\\,:{}[]aZ\n\t";
        let c = CHARS[usize::from(with) % CHARS.len()];
        match how % 3 {
            0 => bytes.insert(at, c),
            1 if at < bytes.len() => {
                bytes.remove(at);
            }
            _ if at < bytes.len() => bytes[at] = c,
            _ => bytes.push(c),
        }
        String::from_utf8(bytes).ok()
    }

    proptest! {
        #[test]
        fn written_records_read_back(a in account(), t in transaction()) {
            // (Escaped strings are left to serde_json.)
            let text = super::account(&a);
            let escaped = text.contains('\\');
            prop_assert_eq!(super::read_account(&text), (!escaped).then_some(a));
            let text = super::transaction(&t);
            let escaped = text.contains('\\');
            prop_assert_eq!(super::read_transaction(&text), (!escaped).then_some(t));
        }

        /// The other reader (through Input, for records not in the written form) reads every
        /// written record with safe numbers back as written.
        #[test]
        fn written_records_read_back_through_input_too(mut a in account(), mut t in transaction()) {
            let clamp = |n: &mut i64| *n = (*n).clamp(-MAX_SAFE, MAX_SAFE);
            let p = &mut a.points;
            for n in [&mut p.balance, &mut p.earned, &mut p.adjusted, &mut p.redeemed, &mut p.expired, &mut a.tier_points, &mut a.created_ms, &mut a.updated_ms] {
                clamp(n);
            }
            if let Some(n) = a.last_activity_ms.as_mut() {
                clamp(n);
            }
            if let Some(n) = a.tier.ms.as_mut() {
                clamp(n);
            }
            for (m, p) in a.tier.window.iter_mut() {
                clamp(m);
                clamp(p);
            }
            if let Some((m, p, r)) = a.tier.carry.as_mut() {
                clamp(m);
                clamp(p);
                *r = (*r).min(MAX_SAFE as u64);
            }
            a.revision = a.revision.min(MAX_SAFE as u64);
            a.flips = a.flips.min(MAX_SAFE as u64);
            prop_assert_eq!(serde_json::from_str::<AccountRecord>(&super::account(&a)).ok(), Some(a));
            clamp(&mut t.created_ms);
            clamp(&mut t.amount);
            if let Some(i) = t.adjust_info.as_mut() {
                clamp(&mut i.amount_before);
                clamp(&mut i.amount_after);
            }
            t.account_revision = t.account_revision.min(MAX_SAFE as u64);
            prop_assert_eq!(serde_json::from_str::<TransactionRecord>(&super::transaction(&t)).ok(), Some(t));
        }

        /// Whatever the reader accepts, serde_json reads the same way: edited texts are either
        /// left to serde_json or read exactly as it reads them.
        #[test]
        fn the_reader_agrees_with_serde_json(
            a in account(),
            t in transaction(),
            edits in proptest::collection::vec((any::<usize>(), any::<u8>(), any::<u8>()), 1..4),
        ) {
            let (mut account_text, mut transaction_text) = (super::account(&a), super::transaction(&t));
            for (at, how, with) in edits {
                account_text = edit(&account_text, at, how, with).unwrap_or(account_text);
                transaction_text = edit(&transaction_text, at, how, with).unwrap_or(transaction_text);
            }
            // (Other forms are read through Input, whose numbers are f64: the two agree on every
            // record whose numbers are safe integers, the only ones decode() accepts.)
            if let Some(read) = super::read_account(&account_text) {
                let p = &read.points;
                let numbers = [p.balance, p.earned, p.adjusted, p.redeemed, p.expired, read.tier_points, read.created_ms, read.updated_ms, read.last_activity_ms.unwrap_or(0)];
                let safe = numbers.iter().all(|n| safe(*n)) && safe_u(read.revision) && safe_u(read.flips);
                if safe {
                    prop_assert_eq!(serde_json::from_str::<AccountRecord>(&account_text).ok(), Some(read), "{}", account_text);
                }
            }
            if let Some(read) = super::read_transaction(&transaction_text) {
                let adjust = read.adjust_info.as_ref();
                let numbers = [read.created_ms, read.amount, adjust.map_or(0, |a| a.amount_before), adjust.map_or(0, |a| a.amount_after)];
                let safe = numbers.iter().all(|n| safe(*n)) && safe_u(read.account_revision);
                if safe {
                    prop_assert_eq!(serde_json::from_str::<TransactionRecord>(&transaction_text).ok(), Some(read), "{}", transaction_text);
                }
            }
        }
    }

    #[test]
    fn the_reader_leaves_other_forms_to_serde_json() {
        let a = super::account(&AccountRecord {
            schema: 1,
            id: "a".into(),
            contact_id: "c".into(),
            points: Points::default(),
            tier_points: 0,
            revision: 1,
            created_ms: 0,
            updated_ms: 0,
            last_activity_ms: None,
            reward_available: false,
            flips: 0,
            tier: TierState::default(),
            expiring: None,
            due_ms: None,
            contact: ContactSnapshot::default(),
        });
        assert!(super::read_account(&a).is_some());
        for other in [
            a.replace(':', ": "),
            a.replace("\"c\"", "\"\\u0063\""),
            a.replace("\"revision\":1", "\"revision\":1.0"),
            a.replace("\"revision\":1", "\"revision\":01"),
            a.replace("\"tierPoints\":0", "\"tierPoints\":-0"),
            a.replace("{\"schema\":1,", "{\"extra\":1,\"schema\":1,"),
            format!("{a} "),
        ] {
            assert_eq!(super::read_account(&other), None, "{other}");
        }
    }

    #[test]
    fn escapes_as_serde_json_does() {
        let mut out = super::Out::with_capacity(16);
        out.str("a\"b\\c\n\u{1}\u{1f}\u{7f}é");
        assert_eq!(out.finish(), serde(&"a\"b\\c\n\u{1}\u{1f}\u{7f}é"));
    }
}
