//! Hand-written JSON for what every balance change and every read writes: the account and
//! transaction records, the idempotency record, and the account and transaction views.
//!
//! serde_json's writer passes each fragment through several calls (escaping byte by byte, an
//! `io::Write` per piece, error mapping), and the size-optimized build inlines none of them: it
//! was a third of an adjustment's time in wasm and more of a read's. These writers produce the
//! same text as serde_json would for the same shapes (field order, omitted empty options,
//! escaping), which the tests check against serde-derived reference shapes, so stored records
//! keep their exact format. Every other record and answer still goes through serde_json.

use super::{AccountRecord, IdempotencyRecord, Points, TransactionRecord, TransactionType};

/// A JSON text being written. Commas are placed by looking at the last byte written: after `{`
/// or `[` (or nothing) a field or item needs none.
pub struct Out(String);

impl Out {
    pub fn with_capacity(n: usize) -> Out {
        Out(String::with_capacity(n))
    }

    pub fn finish(self) -> String {
        self.0
    }

    /// Appends JSON text as it is.
    pub fn raw(&mut self, text: &str) -> &mut Out {
        self.0.push_str(text);
        self
    }

    /// Starts a field: the comma if one is due, then `"name":` (names are ASCII, no escaping).
    pub fn key(&mut self, name: &str) -> &mut Out {
        if !matches!(self.0.as_bytes().last(), None | Some(b'{' | b'[')) {
            self.0.push(',');
        }
        self.0.push('"');
        self.0.push_str(name);
        self.0.push_str("\":");
        self
    }

    pub fn open(&mut self) -> &mut Out {
        self.0.push('{');
        self
    }

    pub fn close(&mut self) -> &mut Out {
        self.0.push('}');
        self
    }

    /// A string, escaped as serde_json escapes: `"`, `\` and control characters only.
    pub fn str(&mut self, s: &str) -> &mut Out {
        self.0.push('"');
        let bytes = s.as_bytes();
        let mut start = 0;
        for (i, &b) in bytes.iter().enumerate() {
            let short = match b {
                b'"' => "\\\"",
                b'\\' => "\\\\",
                b'\n' => "\\n",
                b'\r' => "\\r",
                b'\t' => "\\t",
                0x08 => "\\b",
                0x0c => "\\f",
                0..=0x1f => "",
                _ => continue,
            };
            self.0.push_str(s.get(start..i).unwrap_or_default());
            if short.is_empty() {
                const HEX: &[u8; 16] = b"0123456789abcdef";
                self.0.push_str("\\u00");
                for nibble in [b >> 4, b & 15] {
                    self.0.push(char::from(HEX.get(usize::from(nibble)).copied().unwrap_or(b'0')));
                }
            } else {
                self.0.push_str(short);
            }
            start = i + 1;
        }
        self.0.push_str(s.get(start..).unwrap_or_default());
        self.0.push('"');
        self
    }

    pub fn uint(&mut self, n: u64) -> &mut Out {
        push_uint(&mut self.0, n);
        self
    }

    pub fn int(&mut self, n: i64) -> &mut Out {
        if n < 0 {
            self.0.push('-');
        }
        self.uint(n.unsigned_abs())
    }

    pub fn bool(&mut self, b: bool) -> &mut Out {
        self.raw(if b { "true" } else { "false" })
    }

    /// A field holding a string, left out when `None`.
    fn opt_str(&mut self, name: &str, value: Option<&str>) -> &mut Out {
        if let Some(v) = value {
            self.key(name).str(v);
        }
        self
    }
}

/// Appends `n` in decimal (without `core::fmt`, which the size-optimized build runs slowly).
pub fn push_uint(out: &mut String, n: u64) {
    let mut digits = [0u8; 20];
    let mut at = digits.len();
    let mut n = n;
    loop {
        at -= 1;
        if let Some(d) = digits.get_mut(at) {
            *d = b'0' + (n % 10) as u8;
        }
        n /= 10;
        if n == 0 || at == 0 {
            break;
        }
    }
    out.push_str(std::str::from_utf8(digits.get(at..).unwrap_or_default()).unwrap_or_default());
}

fn points(out: &mut Out, p: &Points) {
    out.open();
    out.key("balance").int(p.balance);
    out.key("earned").int(p.earned);
    out.key("adjusted").int(p.adjusted);
    out.key("redeemed").int(p.redeemed);
    out.key("expired").int(p.expired);
    out.close();
}

fn account_record(out: &mut Out, a: &AccountRecord) {
    out.open();
    out.key("schema").uint(a.schema.into());
    out.key("id").str(&a.id);
    out.key("contactId").str(&a.contact_id);
    points(out.key("points"), &a.points);
    out.key("tierPoints").int(a.tier_points);
    out.key("revision").uint(a.revision);
    out.key("createdMs").int(a.created_ms);
    out.key("updatedMs").int(a.updated_ms);
    if let Some(ms) = a.last_activity_ms {
        out.key("lastActivityMs").int(ms);
    }
    let c = &a.contact;
    out.key("contact").open();
    out.opt_str("memberId", c.member_id.as_deref());
    out.opt_str("name", c.name.as_deref());
    out.opt_str("email", c.email.as_deref());
    if let Some(p) = &c.picture {
        out.key("picture").open();
        out.key("url").str(&p.url);
        out.key("height").uint(p.height.into());
        out.key("width").uint(p.width.into());
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
        out.key("adjustInfo").open();
        out.key("appId").str(&i.app_id);
        out.key("amountBefore").int(i.amount_before);
        out.key("amountAfter").int(i.amount_after);
        out.close();
    }
}

/// `txn/<id>` and its copies in the ledgers.
pub fn transaction(t: &TransactionRecord) -> String {
    let mut out = Out::with_capacity(400);
    out.open();
    out.key("schema").uint(t.schema.into());
    out.key("id").str(&t.id);
    out.key("accountId").str(&t.account_id);
    out.key("accountRevision").uint(t.account_revision);
    out.key("createdMs").int(t.created_ms);
    out.key("amount").int(t.amount);
    out.key("transactionType").str(t.transaction_type.as_str());
    out.key("description").str(&t.description);
    out.key("idempotencyKey").str(&t.idempotency_key);
    if let Some(e) = &t.earn_info {
        out.key("earnInfo").open();
        out.key("appId").str(&e.app_id);
        out.key("activityType").str(&e.activity_type);
        out.opt_str("orderId", e.order_id.as_deref());
        out.opt_str("channel", e.channel.as_deref());
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
    out.key("schema").uint(r.schema.into());
    let q = &r.request;
    out.key("request").open();
    out.key("accountId").str(&q.account_id);
    out.key("amount").int(q.amount);
    out.key("appId").str(&q.app_id);
    out.opt_str("description", q.description.as_deref());
    out.opt_str("activityType", q.activity_type.as_deref());
    out.opt_str("orderId", q.order_id.as_deref());
    out.opt_str("channel", q.channel.as_deref());
    out.close();
    out.key("transactionId").str(&r.transaction_id);
    account_record(out.key("account"), &r.account);
    out.close();
    out.finish()
}

/// The account as the SDK answers it (see `view.rs`): dates as epoch milliseconds.
pub fn account_view(a: &AccountRecord) -> String {
    let mut out = Out::with_capacity(560);
    let c = &a.contact;
    out.open();
    out.key("_id").str(&a.id);
    out.key("contactId").str(&a.contact_id);
    out.opt_str("memberId", c.member_id.as_deref());
    points(out.key("points"), &a.points);
    // No rewards exist yet, so no balance can redeem one.
    out.key("rewardAvailable").bool(false);
    out.key("_createdDate").int(a.created_ms);
    out.key("_updatedDate").int(a.updated_ms);
    if let Some(ms) = a.last_activity_ms {
        out.key("lastActivityDate").int(ms);
    }
    out.key("revision").raw("\"").uint(a.revision).raw("\"");
    out.key("tier").open().key("points").int(a.tier_points).close();
    out.key("contact").open();
    out.key("_id").str(&a.contact_id);
    out.opt_str("name", c.name.as_deref());
    out.opt_str("email", c.email.as_deref());
    out.opt_str("displayName", c.name.as_deref().or(c.email.as_deref()));
    let picture = c.picture.as_ref();
    out.key("picture").open();
    out.key("_id").str("");
    out.key("url").str(picture.map_or("", |p| p.url.as_str()));
    out.key("height").uint(picture.map_or(0, |p| p.height).into());
    out.key("width").uint(picture.map_or(0, |p| p.width).into());
    out.close().close();
    out.key("pointsExpiration").open().key("expiringPointsAmount").int(0).close();
    out.close();
    out.finish()
}

/// A transaction as the SDK answers it (see `view.rs`).
pub fn transaction_view(t: &TransactionRecord) -> String {
    let mut out = Out::with_capacity(360);
    out.open();
    out.key("_id").str(&t.id);
    out.key("accountId").str(&t.account_id);
    out.key("_createdDate").int(t.created_ms);
    out.key("amount").int(t.amount);
    out.key("transactionType").str(t.transaction_type.as_str());
    out.key("description").str(&t.description);
    out.key("idempotencyKey").str(&t.idempotency_key);
    if let (Some(e), TransactionType::Earn) = (&t.earn_info, t.transaction_type) {
        out.key("earnInfo").open();
        out.key("appId").str(&e.app_id);
        out.key("activityType").str(&e.activity_type);
        out.opt_str("orderId", e.order_id.as_deref());
        if let Some(channel) = &e.channel {
            out.key("followedSocialMedia").open().key("channel").str(channel).close();
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
