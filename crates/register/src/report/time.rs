//! Times as a French reader expects them: legal time of metropolitan France (CET/CEST, EU rule:
//! summer time from the last Sunday of March 01:00 UTC to the last Sunday of October 01:00 UTC).

use chrono::{DateTime, Datelike as _, NaiveDate, TimeDelta, TimeZone as _, Utc, Weekday};

fn last_sunday_0100_utc(year: i32, month: u32) -> Option<DateTime<Utc>> {
    let first_next = if month == 12 {
        NaiveDate::from_ymd_opt(year + 1, 1, 1)?
    } else {
        NaiveDate::from_ymd_opt(year, month + 1, 1)?
    };
    let mut d = first_next.pred_opt()?;
    while d.weekday() != Weekday::Sun {
        d = d.pred_opt()?;
    }
    Some(Utc.from_utc_datetime(&d.and_hms_opt(1, 0, 0)?))
}

/// Offset of Paris legal time from UTC at `t` (+1 h in winter, +2 h in summer).
pub fn paris_offset(t: DateTime<Utc>) -> TimeDelta {
    let y = t.year();
    match (last_sunday_0100_utc(y, 3), last_sunday_0100_utc(y, 10)) {
        (Some(start), Some(end)) if t >= start && t < end => TimeDelta::hours(2),
        _ => TimeDelta::hours(1),
    }
}

/// `28/11/2026 15:04:05` in Paris legal time.
pub fn paris_time(t: DateTime<Utc>) -> String {
    (t + paris_offset(t))
        .format("%d/%m/%Y %H:%M:%S")
        .to_string()
}

/// `15:04:05` in Paris legal time.
pub(crate) fn paris_hms(t: DateTime<Utc>) -> String {
    (t + paris_offset(t)).format("%H:%M:%S").to_string()
}

/// `UTC+1` / `UTC+2`.
pub(crate) fn paris_zone(t: DateTime<Utc>) -> String {
    format!("UTC+{}", paris_offset(t).num_hours())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn summer_time_switches_on_the_eu_dates() {
        // 2026: 29 March and 25 October, at 01:00 UTC.
        let t = |s: &str| DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc);
        assert_eq!(paris_offset(t("2026-03-29T00:59:59Z")).num_hours(), 1);
        assert_eq!(paris_offset(t("2026-03-29T01:00:00Z")).num_hours(), 2);
        assert_eq!(paris_offset(t("2026-10-25T00:59:59Z")).num_hours(), 2);
        assert_eq!(paris_offset(t("2026-10-25T01:00:00Z")).num_hours(), 1);
        assert_eq!(paris_time(t("2026-11-28T14:00:00Z")), "28/11/2026 15:00:00");
    }
}
