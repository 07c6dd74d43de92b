//! Positions, altitudes with their reference, and the tri-state answer of every spatial query.

use serde::{Deserialize, Serialize};

/// Mean Earth radius used by every spherical computation here (IUGG mean radius).
pub const EARTH_RADIUS_M: f64 = 6_371_008.8;

/// A WGS84 horizontal position in decimal degrees.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct LatLon {
    pub lat_deg: f64,
    pub lon_deg: f64,
}

impl LatLon {
    pub const fn new(lat_deg: f64, lon_deg: f64) -> Self {
        Self { lat_deg, lon_deg }
    }

    /// Finite and within ±90° / ±180°.
    pub fn is_valid(&self) -> bool {
        self.lat_deg.is_finite()
            && self.lon_deg.is_finite()
            && (-90.0..=90.0).contains(&self.lat_deg)
            && (-180.0..=180.0).contains(&self.lon_deg)
    }

    /// Great-circle distance (haversine) in metres.
    pub fn distance_m(&self, other: &LatLon) -> f64 {
        let (p1, p2) = (self.lat_deg.to_radians(), other.lat_deg.to_radians());
        let dp = p2 - p1;
        let dl = (other.lon_deg - self.lon_deg).to_radians();
        let a = (dp / 2.0).sin().powi(2) + p1.cos() * p2.cos() * (dl / 2.0).sin().powi(2);
        2.0 * EARTH_RADIUS_M * a.sqrt().min(1.0).asin()
    }

    /// Initial bearing towards `other`, degrees clockwise from true north, in [0, 360).
    pub fn bearing_deg(&self, other: &LatLon) -> f64 {
        let (p1, p2) = (self.lat_deg.to_radians(), other.lat_deg.to_radians());
        let dl = (other.lon_deg - self.lon_deg).to_radians();
        let y = dl.sin() * p2.cos();
        let x = p1.cos() * p2.sin() - p1.sin() * p2.cos() * dl.cos();
        y.atan2(x).to_degrees().rem_euclid(360.0)
    }

    /// The point `distance_m` away along `bearing_deg` (great circle).
    pub fn destination(&self, bearing_deg: f64, distance_m: f64) -> LatLon {
        let d = distance_m / EARTH_RADIUS_M;
        let b = bearing_deg.to_radians();
        let p1 = self.lat_deg.to_radians();
        let l1 = self.lon_deg.to_radians();
        let p2 = (p1.sin() * d.cos() + p1.cos() * d.sin() * b.cos()).asin();
        let l2 = l1 + (b.sin() * d.sin() * p1.cos()).atan2(d.cos() - p1.sin() * p2.sin());
        LatLon::new(
            p2.to_degrees(),
            (l2.to_degrees() + 540.0).rem_euclid(360.0) - 180.0,
        )
    }

    /// geo's convention: x = longitude, y = latitude.
    pub fn to_coord(&self) -> geo::Coord<f64> {
        geo::Coord {
            x: self.lon_deg,
            y: self.lat_deg,
        }
    }

    pub fn from_coord(c: geo::Coord<f64>) -> Self {
        LatLon::new(c.y, c.x)
    }
}

impl std::fmt::Display for LatLon {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:.6} N {:.6} E", self.lat_deg, self.lon_deg)
    }
}

/// What an altitude is measured from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum AltRef {
    /// Above the ground directly below.
    Agl,
    /// Above mean sea level (geoid).
    Amsl,
    /// Above the WGS84 ellipsoid (what a GNSS receiver reports natively).
    Wgs84,
    /// Above the home / take-off point (MAVLink GLOBAL_RELATIVE_ALT).
    RelHome,
}

impl std::fmt::Display for AltRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            AltRef::Agl => "AGL",
            AltRef::Amsl => "AMSL",
            AltRef::Wgs84 => "WGS84",
            AltRef::RelHome => "above home",
        })
    }
}

/// An altitude in metres with its reference.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Altitude {
    pub value_m: f64,
    pub reference: AltRef,
}

impl Altitude {
    pub const fn agl(value_m: f64) -> Self {
        Self {
            value_m,
            reference: AltRef::Agl,
        }
    }
    pub const fn amsl(value_m: f64) -> Self {
        Self {
            value_m,
            reference: AltRef::Amsl,
        }
    }
    pub const fn rel_home(value_m: f64) -> Self {
        Self {
            value_m,
            reference: AltRef::RelHome,
        }
    }

    /// The interval this altitude may lie in once expressed in `target`, given what is known about
    /// the terrain and the geoid. Unknown quantities widen the interval (to ±∞ when nothing bounds
    /// them), so a caller comparing intervals fails closed.
    pub fn interval_in(&self, target: AltRef, ctx: &VerticalContext) -> Interval {
        let amsl = self.amsl_interval(ctx);
        match target {
            AltRef::Amsl => amsl,
            AltRef::Wgs84 => amsl.plus(ctx.geoid_interval()),
            AltRef::Agl => {
                if self.reference == AltRef::Agl {
                    return Interval::point(self.value_m);
                }
                if self.reference == AltRef::RelHome
                    && let Some(r) = ctx.relief_vs_home_m
                {
                    return Interval::point(self.value_m).widen(r.abs());
                }
                amsl.minus(ctx.ground_interval())
            }
            AltRef::RelHome => {
                if self.reference == AltRef::RelHome {
                    return Interval::point(self.value_m);
                }
                if self.reference == AltRef::Agl
                    && let Some(r) = ctx.relief_vs_home_m
                {
                    return Interval::point(self.value_m).widen(r.abs());
                }
                match ctx.home_amsl_m {
                    Some(h) => amsl.minus(Interval::point(h)),
                    None => Interval::UNBOUNDED,
                }
            }
        }
    }

    fn amsl_interval(&self, ctx: &VerticalContext) -> Interval {
        let v = Interval::point(self.value_m);
        match self.reference {
            AltRef::Amsl => v,
            AltRef::Wgs84 => v.minus(ctx.geoid_interval()),
            AltRef::Agl => v.plus(ctx.ground_interval()),
            AltRef::RelHome => match ctx.home_amsl_m {
                Some(h) => v.plus(Interval::point(h)),
                None => Interval::UNBOUNDED,
            },
        }
    }
}

impl std::fmt::Display for Altitude {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:.1} m {}", self.value_m, self.reference)
    }
}

/// A closed interval of metres; bounds may be infinite.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Interval {
    pub lo: f64,
    pub hi: f64,
}

impl Interval {
    pub const UNBOUNDED: Interval = Interval {
        lo: f64::NEG_INFINITY,
        hi: f64::INFINITY,
    };
    pub const fn point(v: f64) -> Self {
        Self { lo: v, hi: v }
    }
    pub fn new(a: f64, b: f64) -> Self {
        Self {
            lo: a.min(b),
            hi: a.max(b),
        }
    }
    pub fn plus(self, o: Interval) -> Self {
        Self {
            lo: self.lo + o.lo,
            hi: self.hi + o.hi,
        }
    }
    pub fn minus(self, o: Interval) -> Self {
        Self {
            lo: self.lo - o.hi,
            hi: self.hi - o.lo,
        }
    }
    pub fn hull(self, o: Interval) -> Self {
        Self {
            lo: self.lo.min(o.lo),
            hi: self.hi.max(o.hi),
        }
    }
    pub fn widen(self, m: f64) -> Self {
        Self {
            lo: self.lo - m,
            hi: self.hi + m,
        }
    }
    pub fn is_bounded(&self) -> bool {
        self.lo.is_finite() && self.hi.is_finite()
    }
    /// Tri-state: is every value of `self` inside `[lower, upper]`?
    pub fn within(&self, lower: f64, upper: f64) -> Containment {
        if self.lo.is_nan() || self.hi.is_nan() {
            return Containment::Indeterminate;
        }
        if self.hi < lower || self.lo > upper {
            Containment::Outside
        } else if self.lo >= lower && self.hi <= upper {
            Containment::Inside
        } else {
            Containment::Indeterminate
        }
    }
}

/// What is known about the vertical frame at the place being judged. Everything is an argument:
/// the station supplies terrain and home elevations when it has them.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
pub struct VerticalContext {
    /// Terrain elevation AMSL directly below the point, when known.
    pub ground_amsl_m: Option<f64>,
    /// How far the terrain may differ from `ground_amsl_m` (e.g. along a leg); 0 when exact.
    pub ground_uncertainty_m: f64,
    /// Elevation AMSL of the home / take-off point, when known.
    pub home_amsl_m: Option<f64>,
    /// Geoid undulation (WGS84 ellipsoid height minus AMSL), when known.
    pub geoid_undulation_m: Option<f64>,
    /// Bound on |terrain here − terrain at home|, when known: lets an altitude above home be read
    /// as AGL (± this) without absolute elevations.
    pub relief_vs_home_m: Option<f64>,
}

impl VerticalContext {
    /// Terrain on Earth lies between the Dead Sea shore and Everest: the bound used when unknown.
    const EARTH_TERRAIN: Interval = Interval {
        lo: -440.0,
        hi: 8850.0,
    };
    /// Geoid undulation lies within about −107 m … +86 m worldwide.
    const EARTH_GEOID: Interval = Interval {
        lo: -110.0,
        hi: 90.0,
    };

    pub fn with_ground(ground_amsl_m: f64) -> Self {
        Self {
            ground_amsl_m: Some(ground_amsl_m),
            home_amsl_m: Some(ground_amsl_m),
            ..Self::default()
        }
    }

    pub fn ground_interval(&self) -> Interval {
        match self.ground_amsl_m {
            Some(g) => Interval::point(g).widen(self.ground_uncertainty_m.abs()),
            None => Self::EARTH_TERRAIN,
        }
    }

    pub fn geoid_interval(&self) -> Interval {
        match self.geoid_undulation_m {
            Some(n) => Interval::point(n),
            None => Self::EARTH_GEOID,
        }
    }
}

/// A 3-D fix with its horizontal accuracy (1-sigma-ish radius the caller trusts, metres).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Position3d {
    pub pos: LatLon,
    pub alt: Altitude,
    pub h_accuracy_m: f64,
}

impl Position3d {
    pub fn new(pos: LatLon, alt: Altitude, h_accuracy_m: f64) -> Self {
        Self {
            pos,
            alt,
            h_accuracy_m,
        }
    }
}

/// The answer of a containment query. Never a bare bool: `Indeterminate` blocks on a blocking rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Containment {
    Inside,
    Outside,
    Indeterminate,
}

impl Containment {
    /// Both must hold (e.g. horizontal and vertical).
    pub fn and(self, other: Containment) -> Containment {
        use Containment::*;
        match (self, other) {
            (Outside, _) | (_, Outside) => Outside,
            (Inside, Inside) => Inside,
            _ => Indeterminate,
        }
    }
    /// Either may hold (e.g. any volume of a zone).
    pub fn or(self, other: Containment) -> Containment {
        use Containment::*;
        match (self, other) {
            (Inside, _) | (_, Inside) => Inside,
            (Outside, Outside) => Outside,
            _ => Indeterminate,
        }
    }
    /// Could the point be inside? (Inside or Indeterminate.)
    pub fn may_be_inside(self) -> bool {
        self != Containment::Outside
    }
}

impl std::fmt::Display for Containment {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Containment::Inside => "inside",
            Containment::Outside => "outside",
            Containment::Indeterminate => "indeterminate",
        })
    }
}

/// Where a wind reading comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum WindSource {
    /// Launch-site anemometer (3-s gusts).
    Anemometer,
    /// METAR of a nearby aerodrome (10-min mean, gust group).
    Metar,
    /// The vehicle's own estimate (WIND / WIND_COV).
    Vehicle,
}

/// One wind observation with its timestamp.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct WindReading {
    pub source: WindSource,
    pub mean_mps: f64,
    pub gust_mps: Option<f64>,
    /// Direction the wind blows **from**, degrees true; None when variable or unknown.
    pub from_deg: Option<f64>,
    pub observed_at: chrono::DateTime<chrono::Utc>,
}

impl WindReading {
    /// The strongest value this reading stands for (gust when reported, else mean).
    pub fn peak_mps(&self) -> f64 {
        match self.gust_mps {
            Some(g) if g.is_finite() => g.max(self.mean_mps),
            _ => self.mean_mps,
        }
    }
}

pub const MPS_PER_KMH: f64 = 1.0 / 3.6;
pub const MPS_PER_KT: f64 = 1852.0 / 3600.0;
pub const M_PER_FT: f64 = 0.3048;
