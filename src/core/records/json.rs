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

use super::{AccountRecord, IdempotencyRecord, Points, TransactionRecord, TransactionType};

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
        for (i, &b) in bytes.iter().enumerate() {
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

fn adjust_info(out: &mut Out, t: &TransactionRecord) {
    if let Some(i) = &t.adjust_info {
        out.field(name!("adjustInfo")).open();
        out.field(name!("appId")).str(&i.app_id);
        out.field(name!("amountBefore")).int(i.amount_before);
        out.field(name!("amountAfter")).int(i.amount_after);
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

/// `idem/<key>`.
pub fn idempotency(r: &IdempotencyRecord) -> String {
    let mut out = Out::with_capacity(600);
    out.open();
    out.field(name!("schema")).uint(r.schema.into());
    let q = &r.request;
    out.field(name!("request")).open();
    out.field(name!("accountId")).str(&q.account_id);
    out.field(name!("amount")).int(q.amount);
    out.field(name!("appId")).str(&q.app_id);
    out.opt_str(name!("description"), q.description.as_deref());
    out.opt_str(name!("activityType"), q.activity_type.as_deref());
    out.opt_str(name!("orderId"), q.order_id.as_deref());
    out.opt_str(name!("channel"), q.channel.as_deref());
    out.close();
    out.field(name!("transactionId")).str(&r.transaction_id);
    account_record(out.field(name!("account")), &r.account);
    out.close();
    out.finish()
}

/// The account as the SDK answers it (see `view.rs`): dates as epoch milliseconds.
pub fn account_view(a: &AccountRecord) -> String {
    let mut out = Out::with_capacity(560);
    let c = &a.contact;
    out.open();
    out.field(name!("_id")).str(&a.id);
    out.field(name!("contactId")).str(&a.contact_id);
    out.opt_str(name!("memberId"), c.member_id.as_deref());
    points(out.field(name!("points")), &a.points);
    // No rewards exist yet, so no balance can redeem one.
    out.field(name!("rewardAvailable")).bool(false);
    out.field(name!("_createdDate")).int(a.created_ms);
    out.field(name!("_updatedDate")).int(a.updated_ms);
    if let Some(ms) = a.last_activity_ms {
        out.field(name!("lastActivityDate")).int(ms);
    }
    out.field(name!("revision")).raw("\"").uint(a.revision).raw("\"");
    out.field(name!("tier")).open().field(name!("points")).int(a.tier_points).close();
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
    out.field(name!("pointsExpiration")).open().field(name!("expiringPointsAmount")).int(0).close();
    out.close();
    out.finish()
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

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::super::{
        view, AccountRecord, AdjustInfo, ContactSnapshot, EarnInfo, EarnRequest, IdempotencyRecord, Picture, Points,
        TransactionRecord, TransactionType,
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
        (text(), text(), points, int(), any::<u64>(), (int(), int(), proptest::option::of(int())), contact).prop_map(
            |(id, contact_id, points, tier_points, revision, (created_ms, updated_ms, last_activity_ms), contact)| {
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
        let kind = prop_oneof![Just(TransactionType::Earn), Just(TransactionType::Adjust)];
        ((text(), text(), any::<u64>(), int(), int()), kind, (text(), text()), earn, adjust).prop_map(
            |(
                (id, account_id, account_revision, created_ms, amount),
                transaction_type,
                (description, idempotency_key),
                earn_info,
                adjust_info,
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
                }
            },
        )
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

    #[test]
    fn escapes_as_serde_json_does() {
        let mut out = super::Out::with_capacity(16);
        out.str("a\"b\\c\n\u{1}\u{1f}\u{7f}é");
        assert_eq!(out.finish(), serde(&"a\"b\\c\n\u{1}\u{1f}\u{7f}é"));
    }
}
