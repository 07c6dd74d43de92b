//! From a stream of MWV samples to wind readings: the mean over a window (2 min by default) and
//! the WMO gust, the highest 3-s running mean within that window. Pure: sample times are
//! arguments. An anemometer that falls silent produces nothing; the rules judge its last
//! reading's age.

use std::collections::VecDeque;
use std::time::Duration;

use chrono::{DateTime, Utc};
use flight_rules::{WindReading, WindSource};

use crate::nmea::{Mwv, MwvReference};

#[derive(Debug, Clone, PartialEq)]
pub struct GustConfig {
    /// The mean and the gust are taken over this window.
    pub mean_window: Duration,
    /// Gust averaging time (WMO: 3 s).
    pub gust_window: Duration,
    /// Added to relative (R) angles: the bearing of the sensor's north mark, degrees true.
    pub mounting_offset_deg: f64,
    /// At most this many samples are kept; beyond it (a flood, not an anemometer) samples are
    /// refused, so readings stop and go stale rather than shrinking the window.
    pub max_samples: usize,
}

impl Default for GustConfig {
    fn default() -> Self {
        Self {
            mean_window: Duration::from_secs(120),
            gust_window: Duration::from_secs(3),
            mounting_offset_deg: 0.0,
            max_samples: 8192,
        }
    }
}

/// Why a sample gave no reading.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Skipped {
    /// Status V: not wind.
    Void,
    /// More samples in the window than `max_samples`.
    Flood,
}

#[derive(Debug, Clone, Copy)]
struct Sample {
    at: DateTime<Utc>,
    speed_mps: f64,
    /// Direction the wind comes from, degrees true.
    from_deg: Option<f64>,
}

/// Running mean and gust of one anemometer.
#[derive(Debug, Clone)]
pub struct GustTracker {
    cfg: GustConfig,
    samples: VecDeque<Sample>,
    /// (time, 3-s mean ending then), within the mean window.
    gusts: VecDeque<(DateTime<Utc>, f64)>,
}

impl GustTracker {
    pub fn new(cfg: GustConfig) -> Self {
        Self {
            cfg,
            samples: VecDeque::new(),
            gusts: VecDeque::new(),
        }
    }

    pub fn config(&self) -> &GustConfig {
        &self.cfg
    }

    /// Seconds covered by the samples now in the window (the mean is over less than
    /// `mean_window` until the sensor has run that long).
    pub fn covered_s(&self) -> f64 {
        match (self.samples.front(), self.samples.back()) {
            (Some(a), Some(b)) => (b.at - a.at).num_milliseconds() as f64 / 1000.0,
            _ => 0.0,
        }
    }

    /// Fold in one sample received at `at`; returns the reading it completes.
    pub fn push(&mut self, m: &Mwv, at: DateTime<Utc>) -> Result<WindReading, Skipped> {
        let (true, Some(speed_mps)) = (m.valid, m.speed_mps.filter(|s| s.is_finite())) else {
            return Err(Skipped::Void);
        };
        // A clock stepping backwards would otherwise leave samples "from the future" in the
        // window: start again.
        if self.samples.back().is_some_and(|s| s.at > at) {
            self.samples.clear();
            self.gusts.clear();
        }
        let window = chrono::Duration::from_std(self.cfg.mean_window)
            .unwrap_or(chrono::Duration::seconds(120));
        let gust_window = chrono::Duration::from_std(self.cfg.gust_window)
            .unwrap_or(chrono::Duration::seconds(3));
        while self.samples.front().is_some_and(|s| s.at <= at - window) {
            self.samples.pop_front();
        }
        while self.gusts.front().is_some_and(|g| g.0 <= at - window) {
            self.gusts.pop_front();
        }
        if self.samples.len() >= self.cfg.max_samples {
            return Err(Skipped::Flood);
        }
        let from_deg = m
            .angle_deg
            .filter(|a| a.is_finite())
            .map(|a| match m.reference {
                MwvReference::Relative => (a + self.cfg.mounting_offset_deg).rem_euclid(360.0),
                MwvReference::True => a.rem_euclid(360.0),
            });
        self.samples.push_back(Sample {
            at,
            speed_mps,
            from_deg,
        });
        let recent: Vec<f64> = self
            .samples
            .iter()
            .rev()
            .take_while(|s| s.at > at - gust_window)
            .map(|s| s.speed_mps)
            .collect();
        let mean3 = recent.iter().sum::<f64>() / recent.len().max(1) as f64;
        self.gusts.push_back((at, mean3));
        let n = self.samples.len() as f64;
        let mean_mps = self.samples.iter().map(|s| s.speed_mps).sum::<f64>() / n;
        let gust_mps = self.gusts.iter().map(|g| g.1).fold(mean3, f64::max);
        // Speed-weighted vector mean of the directions; none when they cancel out (variable).
        let (mut x, mut y, mut w) = (0.0, 0.0, 0.0);
        for s in &self.samples {
            if let Some(d) = s.from_deg {
                let r = d.to_radians();
                x += s.speed_mps * r.sin();
                y += s.speed_mps * r.cos();
                w += s.speed_mps;
            }
        }
        let from_deg =
            (w > 0.0 && x.hypot(y) > 0.05 * w).then(|| x.atan2(y).to_degrees().rem_euclid(360.0));
        Ok(WindReading {
            source: WindSource::Anemometer,
            mean_mps,
            gust_mps: Some(gust_mps),
            from_deg,
            observed_at: at,
        })
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::type_complexity)]
    use super::*;
    use crate::nmea::{Sentence, parse_sentence};
    use chrono::TimeZone;

    fn t0() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 7, 14, 12, 0, 0).unwrap()
    }

    fn sample(angle: f64, reference: MwvReference, speed_mps: f64) -> Mwv {
        Mwv {
            talker: "WI".into(),
            angle_deg: Some(angle),
            reference,
            speed_mps: Some(speed_mps),
            valid: true,
        }
    }

    fn feed(tr: &mut GustTracker, speeds_1hz: &[f64]) -> WindReading {
        let mut last = None;
        for (i, v) in speeds_1hz.iter().enumerate() {
            let at = t0() + chrono::Duration::seconds(i as i64);
            last = Some(tr.push(&sample(330.0, MwvReference::True, *v), at).unwrap());
        }
        last.unwrap()
    }

    #[test]
    fn steady_wind_mean_equals_gust() {
        let mut tr = GustTracker::new(GustConfig::default());
        let r = feed(&mut tr, &[8.0; 30]);
        assert!((r.mean_mps - 8.0).abs() < 1e-9);
        assert!((r.gust_mps.unwrap() - 8.0).abs() < 1e-9);
        assert_eq!(r.source, WindSource::Anemometer);
        assert!((r.from_deg.unwrap() - 330.0).abs() < 1e-6);
    }

    /// A mistral gust: 3 s at 16 m/s (58 km/h) in a 8 m/s wind is a gust of 16 m/s, and it stays
    /// the gust for the 2-min window, then drops out of it.
    #[test]
    fn mistral_gust_is_the_3_s_peak_and_ages_out_of_the_window() {
        let mut tr = GustTracker::new(GustConfig::default());
        let mut speeds = vec![8.0; 20];
        speeds.extend([16.0, 16.0, 16.0]);
        speeds.extend([8.0; 20]);
        let r = feed(&mut tr, &speeds);
        assert!((r.gust_mps.unwrap() - 16.0).abs() < 1e-9, "{r:?}");
        assert!(r.mean_mps < 9.0);
        assert!(r.peak_mps() * 3.6 > 50.0, "above the 50 km/h limit");
        // 2 min later the gust has left the window.
        let later = t0() + chrono::Duration::seconds(23 + 121);
        let r = tr
            .push(&sample(330.0, MwvReference::True, 8.0), later)
            .unwrap();
        assert!((r.gust_mps.unwrap() - 8.0).abs() < 1e-9, "{r:?}");
    }

    /// A single 1-s spike is not a WMO gust: it is averaged over 3 s.
    #[test]
    fn a_one_sample_spike_is_averaged_over_3_s() {
        let mut tr = GustTracker::new(GustConfig::default());
        let r = feed(&mut tr, &[6.0, 6.0, 6.0, 15.0, 6.0, 6.0]);
        assert!((r.gust_mps.unwrap() - 9.0).abs() < 1e-9, "{r:?}");
    }

    #[test]
    fn relative_angles_get_the_mounting_offset_true_ones_do_not() {
        let cfg = GustConfig {
            mounting_offset_deg: 40.0,
            ..GustConfig::default()
        };
        let mut tr = GustTracker::new(cfg.clone());
        let r = tr
            .push(&sample(330.0, MwvReference::Relative, 5.0), t0())
            .unwrap();
        assert!((r.from_deg.unwrap() - 10.0).abs() < 1e-6, "{r:?}");
        let mut tr = GustTracker::new(cfg);
        let r = tr
            .push(&sample(330.0, MwvReference::True, 5.0), t0())
            .unwrap();
        assert!((r.from_deg.unwrap() - 330.0).abs() < 1e-6, "{r:?}");
    }

    #[test]
    fn directions_average_across_north() {
        let mut tr = GustTracker::new(GustConfig::default());
        tr.push(&sample(350.0, MwvReference::True, 5.0), t0())
            .unwrap();
        let r = tr
            .push(
                &sample(10.0, MwvReference::True, 5.0),
                t0() + chrono::Duration::seconds(1),
            )
            .unwrap();
        let d = r.from_deg.unwrap();
        assert!(!(1.0..359.0).contains(&d), "{d}");
    }

    #[test]
    fn void_samples_are_not_wind_and_do_not_enter_the_window() {
        let mut tr = GustTracker::new(GustConfig::default());
        let Sentence::Mwv(v) = parse_sentence(b"$WIMWV,39.20,T,29.93,N,V*3B", false).unwrap()
        else {
            panic!()
        };
        assert_eq!(tr.push(&v, t0()), Err(Skipped::Void));
        let r = feed(&mut tr, &[4.0]);
        assert!((r.gust_mps.unwrap() - 4.0).abs() < 1e-9);
    }

    #[test]
    fn a_flood_is_refused_not_absorbed() {
        let cfg = GustConfig {
            max_samples: 10,
            ..GustConfig::default()
        };
        let mut tr = GustTracker::new(cfg);
        for i in 0..10 {
            let at = t0() + chrono::Duration::milliseconds(i);
            tr.push(&sample(0.0, MwvReference::True, 1.0), at).unwrap();
        }
        let at = t0() + chrono::Duration::milliseconds(11);
        assert_eq!(
            tr.push(&sample(0.0, MwvReference::True, 1.0), at),
            Err(Skipped::Flood)
        );
    }

    #[test]
    fn a_clock_step_backwards_restarts_the_window() {
        let mut tr = GustTracker::new(GustConfig::default());
        feed(&mut tr, &[20.0; 5]);
        let r = tr
            .push(
                &sample(0.0, MwvReference::True, 3.0),
                t0() - chrono::Duration::seconds(30),
            )
            .unwrap();
        assert!((r.gust_mps.unwrap() - 3.0).abs() < 1e-9);
    }
}
