//! The catalogue: every key in both languages, every rule message with its arguments, no key
//! missing from any screen.

use flight_rules::Message;
use vigie::app::i18n::{EN_FTL, FR_FTL, Lang, Tr, catalogue_ids};

#[test]
fn every_key_exists_in_french_and_in_english() {
    let fr = catalogue_ids(FR_FTL);
    let en = catalogue_ids(EN_FTL);
    assert!(fr.len() > 300, "{}", fr.len());
    let only_fr: Vec<_> = fr.difference(&en).collect();
    let only_en: Vec<_> = en.difference(&fr).collect();
    assert!(only_fr.is_empty(), "keys without English: {only_fr:?}");
    assert!(only_en.is_empty(), "keys without French: {only_en:?}");
}

#[test]
fn every_rule_message_reads_in_both_languages_with_its_arguments() {
    for lang in Lang::ALL {
        let tr = Tr::new(lang).unwrap();
        for (key, args) in flight_rules::message::KEYS {
            assert!(tr.has(&format!("rule-{key}")), "{lang:?}: rule-{key}");
            let mut m = Message::new(key);
            for a in *args {
                m = m.text(a, "X");
            }
            let s = tr.message(&m);
            assert!(!s.starts_with("rule-"), "{lang:?}: {key}: {s}");
        }
        assert!(tr.missing().is_empty(), "{lang:?}: {:?}", tr.missing());
    }
}

#[test]
fn numbers_follow_the_language() {
    assert_eq!(Tr::new(Lang::Fr).unwrap().num(7.25, 1), "7,2");
    assert_eq!(Tr::new(Lang::En).unwrap().num(7.25, 1), "7.2");
    assert_eq!(Tr::new(Lang::Fr).unwrap().num(-0.2, 0), "0");
}
