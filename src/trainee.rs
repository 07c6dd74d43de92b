//! Scripted trainees for `vigie train`: a good one (the routine done right) and, for the
//! scenarios whose traps are well known, a careless one. They fly through the station like a
//! pilot at the app would — requests through the interlock, alarms acknowledged or not — so the
//! score comes from what the register recorded, not from the script.

use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use flight_rules::{LatLon, RuleSet};
use tokio::sync::watch;
use vigie_link::{CopterMode, VehicleTelemetry};
use vigie_station::{
    Outcome, SessionRequest, StationCommand, StationHandle, VehicleId, VehicleRequest,
};

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Conduct {
    /// Checklist, wind, plan checked before upload, alarms acknowledged, home with a reserve.
    Good,
    /// Makes the mistakes the scenario is about (see `expected_failures`).
    Careless,
}

/// The items a scripted trainee's score sheet fails, by design (empty: full marks).
pub fn expected_failures(scenario: &str, conduct: Conduct) -> Option<Vec<&'static str>> {
    match (scenario, conduct) {
        (
            "istres-calm"
            | "istres-mistral"
            | "link-loss"
            | "night-patrol-gps-loss"
            | "air-base-approach"
            | "forest-patrol",
            Conduct::Good,
        ) => Some(vec![]),
        // Tries to take off in the mistral (refused: nothing flies).
        ("istres-mistral", Conduct::Careless) => Some(vec!["wind-gate"]),
        // Ignores the link loss: leaves its alarm, sends the vehicle back on patrol once the link
        // returns, and stays out until the battery is nearly flat.
        ("link-loss", Conduct::Careless) => {
            Some(vec!["returns-after-link-loss", "alarms", "landing-battery"])
        }
        _ => None,
    }
}

/// What a trainee flies with: the station, the vehicle, the checklist to tick, and the
/// instructor's fault injection (the simulator's control socket).
pub struct Cockpit {
    pub st: StationHandle,
    pub vehicle: VehicleId,
    pub rules: Arc<RuleSet>,
    pub sim_control: Option<u16>,
    pub pilot_id: String,
    pub say: Arc<dyn Fn(String) + Send + Sync>,
}

/// What was flown, for the report.
#[derive(Debug, Default)]
pub struct Flown {
    /// The patrol route planned (forest patrol), for the report's `planned`.
    pub planned: Vec<LatLon>,
    /// The training ended early (a refusal the trainee accepted, time up).
    pub note: Option<String>,
}

/// Istres town-centre patrol inside the demo perimeter (lat, lon).
const ISTRES_PATROL: &[(f64, f64)] = &[(43.5172, 4.9872), (43.5172, 4.9922), (43.5130, 4.9922)];

/// The Sainte-Victoire south face the forest patrol covers (lat, lon), around the scenario's
/// two western fires; home is below it at 43.5180, 5.5850.
pub const SAINTE_VICTOIRE_AREA: &[(f64, f64)] = &[
    (43.5226, 5.5765),
    (43.5226, 5.5930),
    (43.5278, 5.5930),
    (43.5278, 5.5765),
];

impl Cockpit {
    fn say(&self, s: impl Into<String>) {
        (self.say)(s.into());
    }

    async fn ask(&self, r: VehicleRequest) -> Outcome {
        let name = r.name();
        let o = self
            .st
            .command(StationCommand::vehicle(self.vehicle, r))
            .await;
        match &o {
            Outcome::Refused(d) => self.say(format!(
                "{name}: REFUSED {}",
                d.blocking()
                    .map(|f| format!("{} {}", f.rule_id, f.reason))
                    .collect::<Vec<_>>()
                    .join("; ")
            )),
            Outcome::Failed { failure, .. } => self.say(format!("{name}: failed: {failure}")),
            Outcome::Done { .. } => self.say(format!("{name}: done")),
        }
        o
    }

    async fn session(&self, r: SessionRequest) -> Outcome {
        self.st.command(StationCommand::Session(r)).await
    }

    async fn inject(&self, line: &str) {
        let Some(port) = self.sim_control else {
            return;
        };
        match crate::sim_process::control(port, line).await {
            Ok(a) => self.say(format!("instructor: {line} → {a}")),
            Err(e) => self.say(format!("instructor: {line} failed: {e}")),
        }
    }

    /// The vehicle heard, with a 3D fix, a home, and its autopilot ready to arm.
    async fn vehicle_ready(&self) -> anyhow::Result<watch::Receiver<VehicleTelemetry>> {
        let mut tel = self
            .st
            .wait_vehicle(self.vehicle, Duration::from_secs(60))
            .await
            .context("no vehicle heard within 60 s")?;
        tokio::time::timeout(
            Duration::from_secs(90),
            tel.wait_for(|t| {
                t.gps.is_some_and(|g| g.fix.is_3d())
                    && t.position.is_some()
                    && t.home.is_some()
                    && t.readiness.prearm_ok != Some(false)
            }),
        )
        .await
        .context("the vehicle has no fix, no home or is not ready to arm after 90 s")??;
        Ok(tel)
    }

    async fn tick_checklist(&self) {
        for item in self
            .rules
            .checklist
            .items
            .iter()
            .filter(|i| matches!(i.kind, flight_rules::ChecklistKind::Manual))
        {
            self.session(SessionRequest::TickChecklist(item.id.clone()))
                .await;
        }
        self.say("checklist ticked");
    }

    /// Wait for a ground wind reading, as a pilot waits for the anemometer.
    async fn ground_wind(&self) -> Option<f64> {
        let mut snap = self.st.snapshot();
        let s = tokio::time::timeout(
            Duration::from_secs(20),
            snap.wait_for(|s| !s.session.ground_wind.is_empty()),
        )
        .await
        .ok()?
        .ok()?;
        let peak = s
            .session
            .ground_wind
            .iter()
            .map(|w| w.peak_mps())
            .fold(0.0, f64::max);
        self.say(format!("ground wind {:.0} km/h", peak * 3.6));
        Some(peak)
    }

    /// The wind gate, as the station shows it before arming, after the fence is up.
    async fn arm_verdict(&self) -> Option<flight_rules::Decision> {
        let mut snap = self.st.snapshot();
        let v = self.vehicle;
        tokio::time::timeout(
            Duration::from_secs(20),
            snap.wait_for(|s| s.vehicle(v).is_some_and(|v| v.preflight.is_some())),
        )
        .await
        .ok()?
        .ok()?
        .vehicle(v)
        .and_then(|v| v.preflight.clone())
    }

    /// Acknowledge every alarm a few seconds after it is raised, as an attentive pilot does.
    fn acknowledge_alarms(&self) -> tokio::task::JoinHandle<()> {
        let st = self.st.clone();
        let by = self.pilot_id.clone();
        let say = self.say.clone();
        tokio::spawn(async move {
            let mut snap = st.snapshot();
            loop {
                let pending: Vec<_> = snap
                    .borrow_and_update()
                    .alarms
                    .iter()
                    .filter(|a| a.acknowledged_by.is_none())
                    .map(|a| (a.id, a.detail.clone()))
                    .collect();
                for (id, detail) in pending {
                    tokio::time::sleep(Duration::from_secs(2)).await;
                    st.command(StationCommand::Session(SessionRequest::AcknowledgeAlarm {
                        alarm: id,
                        by: by.clone(),
                    }))
                    .await;
                    say(format!("alarm acknowledged: {detail}"));
                }
                if snap.changed().await.is_err() {
                    return;
                }
            }
        })
    }

    async fn take_off(&self, tel: &mut watch::Receiver<VehicleTelemetry>, alt: f64) -> bool {
        if !self
            .ask(VehicleRequest::ArmAndTakeoff { alt_rel_m: alt })
            .await
            .accepted()
        {
            return false;
        }
        tokio::time::timeout(
            Duration::from_secs(90),
            tel.wait_for(|t| t.position.is_some_and(|p| p.alt_rel_m > alt - 5.0)),
        )
        .await
        .is_ok_and(|r| r.is_ok())
    }

    /// Fly to a point in GUIDED; false when the vehicle left GUIDED on its own (a failsafe) or
    /// did not get there.
    async fn go_to(
        &self,
        tel: &mut watch::Receiver<VehicleTelemetry>,
        (lat, lon): (f64, f64),
        alt: f64,
    ) -> bool {
        if !self
            .ask(VehicleRequest::GoTo {
                target: LatLon::new(lat, lon),
                alt_rel_m: alt,
            })
            .await
            .accepted()
        {
            return false;
        }
        let target = LatLon::new(lat, lon);
        let r = tokio::time::timeout(
            Duration::from_secs(150),
            tel.wait_for(|t| {
                t.mode != CopterMode::Guided
                    || t.lost
                    || t.position.is_some_and(|p| {
                        LatLon::new(p.lat_deg, p.lon_deg).distance_m(&target) < 8.0
                    })
            }),
        )
        .await
        .is_ok_and(|r| r.is_ok());
        r && tel.borrow().mode == CopterMode::Guided && !tel.borrow().lost
    }

    async fn wait_landed(&self, tel: &mut watch::Receiver<VehicleTelemetry>, secs: u64) -> bool {
        tokio::time::timeout(Duration::from_secs(secs), tel.wait_for(|t| !t.armed))
            .await
            .is_ok_and(|r| r.is_ok())
    }

    async fn home_and_land(&self, tel: &mut watch::Receiver<VehicleTelemetry>) {
        if tel.borrow().armed && !matches!(tel.borrow().mode, CopterMode::Rtl | CopterMode::Land) {
            self.ask(VehicleRequest::Rtl).await;
        }
        if self.wait_landed(tel, 420).await {
            self.say("landed and disarmed");
        } else {
            self.say("not landed 7 min after RTL");
        }
    }

    fn battery_pct(tel: &watch::Receiver<VehicleTelemetry>) -> Option<f64> {
        tel.borrow().battery.and_then(|b| b.remaining_pct)
    }
}

/// Fly `scenario` as a trainee of this conduct would.
pub async fn fly(c: &Cockpit, scenario: &str, conduct: Conduct) -> anyhow::Result<Flown> {
    if expected_failures(scenario, conduct).is_none() {
        anyhow::bail!(
            "no scripted {conduct:?} trainee for scenario {scenario}: fly it yourself in the window (without --trainee)"
        );
    }
    let mut tel = c.vehicle_ready().await?;
    c.say("vehicle ready: fix, home, autopilot ready to arm");
    let acks = (conduct == Conduct::Good).then(|| c.acknowledge_alarms());
    c.tick_checklist().await;
    let flown = match scenario {
        "forest-patrol" => forest_patrol(c, &mut tel).await?,
        "istres-mistral" => mistral(c, &mut tel, conduct).await,
        "link-loss" => link_loss(c, &mut tel, conduct).await,
        "night-patrol-gps-loss" => gps_loss(c, &mut tel).await,
        // istres-calm and air-base-approach: the town patrol, by go-to, kept clear of BA 125
        // (the on-board mission toward the base is never started).
        _ => town_patrol(c, &mut tel).await,
    };
    if let Some(a) = acks {
        // Let the last alarms be seen and acknowledged.
        tokio::time::sleep(Duration::from_secs(3)).await;
        a.abort();
    }
    Ok(flown)
}

async fn preflight(c: &Cockpit) -> Result<(), String> {
    if !c.ask(VehicleRequest::UploadFence).await.accepted() {
        return Err("the fence could not be uploaded".into());
    }
    c.ground_wind().await;
    match c.arm_verdict().await {
        Some(d) if d.verdict == flight_rules::Verdict::Deny => Err(d
            .blocking()
            .map(|f| format!("{} {}", f.rule_id, f.reason))
            .collect::<Vec<_>>()
            .join("; ")),
        _ => Ok(()),
    }
}

async fn town_patrol(c: &Cockpit, tel: &mut watch::Receiver<VehicleTelemetry>) -> Flown {
    if let Err(why) = preflight(c).await {
        c.say(format!("not flying: {why}"));
        return Flown {
            note: Some(why),
            ..Default::default()
        };
    }
    if !c.take_off(tel, 40.0).await {
        return Flown {
            note: Some("take-off refused or not climbing".into()),
            ..Default::default()
        };
    }
    for &p in ISTRES_PATROL {
        if !c.go_to(tel, p, 40.0).await {
            c.say("left the patrol: bringing it home");
            break;
        }
    }
    c.home_and_land(tel).await;
    Flown::default()
}

async fn mistral(
    c: &Cockpit,
    tel: &mut watch::Receiver<VehicleTelemetry>,
    conduct: Conduct,
) -> Flown {
    let why = preflight(c).await.err();
    match conduct {
        Conduct::Good => {
            // Reads the wind gate's refusal on the screen and stays on the ground.
            c.say(format!(
                "staying on the ground: {}",
                why.as_deref().unwrap_or("the wind is at the limit")
            ));
            tokio::time::sleep(Duration::from_secs(5)).await;
        }
        Conduct::Careless => {
            c.say("trying to take off anyway");
            if c.take_off(tel, 40.0).await {
                c.home_and_land(tel).await;
            }
        }
    }
    Flown {
        note: why,
        ..Default::default()
    }
}

async fn link_loss(
    c: &Cockpit,
    tel: &mut watch::Receiver<VehicleTelemetry>,
    conduct: Conduct,
) -> Flown {
    if let Err(why) = preflight(c).await {
        return Flown {
            note: Some(why),
            ..Default::default()
        };
    }
    if !c.take_off(tel, 40.0).await {
        return Flown {
            note: Some("take-off refused or not climbing".into()),
            ..Default::default()
        };
    }
    // Patrol until the link goes (the scenario cuts it at 60 s); the vehicle's GCS failsafe
    // then turns it home.
    let mut lost = false;
    for round in 0..6 {
        for &p in ISTRES_PATROL {
            if !c.go_to(tel, p, 40.0).await {
                lost = true;
                break;
            }
        }
        if lost || round == 5 {
            break;
        }
    }
    if !lost {
        c.home_and_land(tel).await;
        return Flown {
            note: Some("the link was never lost".into()),
            ..Default::default()
        };
    }
    c.say("link lost: the vehicle's failsafe brings it home");
    let _ = tokio::time::timeout(Duration::from_secs(60), tel.wait_for(|t| !t.lost)).await;
    match conduct {
        Conduct::Good => {
            // Lets it come home; takes it back only if it is not returning.
            if tel.borrow().armed
                && !matches!(tel.borrow().mode, CopterMode::Rtl | CopterMode::Land)
            {
                c.ask(VehicleRequest::Rtl).await;
            }
            if c.wait_landed(tel, 420).await {
                c.say("landed and disarmed");
            }
        }
        Conduct::Careless => {
            c.say("link back: sending it back on patrol");
            // The first position after the link comes back may not be fresh yet: asks again.
            for _ in 0..8 {
                if c.go_to(tel, ISTRES_PATROL[1], 40.0).await {
                    break;
                }
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
            // Stays out while the battery runs down (the instructor speeds it up).
            if let Some(pct) = Cockpit::battery_pct(tel)
                && pct > 19.0
            {
                // Leaves 18 %: home on what is left, landing under the 20 % the scoring asks,
                // above the vehicle's own battery failsafe (which would land it where it is).
                c.inject(&format!("battery drop {:.0}", pct - 18.0)).await;
            }
            tokio::time::sleep(Duration::from_secs(2)).await;
            c.home_and_land(tel).await;
        }
    }
    Flown::default()
}

async fn gps_loss(c: &Cockpit, tel: &mut watch::Receiver<VehicleTelemetry>) -> Flown {
    if let Err(why) = preflight(c).await {
        return Flown {
            note: Some(why),
            ..Default::default()
        };
    }
    if !c.take_off(tel, 50.0).await {
        return Flown {
            note: Some("take-off refused or not climbing".into()),
            ..Default::default()
        };
    }
    let mut snap = c.st.snapshot();
    let v = c.vehicle;
    let degraded = |s: &vigie_station::StationSnapshot| {
        s.alarms.iter().any(|a| {
            a.vehicle == Some(v)
                && a.cleared_at.is_none()
                && a.kind == vigie_station::AlarmKind::InFlight(flight_rules::rule_id::GPS_DEGRADED)
        })
    };
    // Loop over the town until the GPS goes (150 s into the scenario).
    let mut lost = false;
    'patrol: for _ in 0..10 {
        for &p in ISTRES_PATROL {
            if !c.go_to(tel, p, 50.0).await || degraded(&snap.borrow()) {
                lost = true;
                break 'patrol;
            }
        }
    }
    if lost {
        c.say("GPS degraded: waiting for the fix to come back");
        let _ =
            tokio::time::timeout(Duration::from_secs(120), snap.wait_for(|s| !degraded(s))).await;
        c.say("fix back: taking over");
    }
    c.home_and_land(tel).await;
    Flown::default()
}

async fn forest_patrol(
    c: &Cockpit,
    tel: &mut watch::Receiver<VehicleTelemetry>,
) -> anyhow::Result<Flown> {
    let (home, home_amsl) = {
        let t = tel.borrow();
        let h = t.home.context("no home")?;
        (LatLon::new(h.lat_deg, h.lon_deg), h.alt_amsl_m)
    };
    let wind = c.ground_wind().await;
    let wind_from =
        c.st.snapshot()
            .borrow()
            .session
            .ground_wind
            .iter()
            .find_map(|w| w.from_deg);
    let area = geo::Polygon::new(
        geo::LineString::from(
            SAINTE_VICTOIRE_AREA
                .iter()
                .map(|&(lat, lon)| (lon, lat))
                .collect::<Vec<_>>(),
        ),
        vec![],
    );
    let mut settings = vigie_patrol::PatrolSettings::new(
        home,
        home_amsl,
        vigie_patrol::AltitudeMode::AboveTerrain { agl_m: 85.0 },
        vigie_patrol::CameraModel::vigie_sim_thermal(),
    );
    settings.cruise_speed_mps = Some(12.0);
    settings.takeoff_alt_m = 40.0;
    let now = chrono::Utc::now();
    let obstacles = vigie_patrol::blocking_obstacles(
        &c.rules,
        None,
        &area,
        home_amsl,
        c.rules.limits.ceiling.max_agl_m,
        c.rules.limits.zones.leg_margin_m + 30.0,
        (now, now + chrono::Duration::hours(2)),
    );
    // A loop inside the edge of the south face: the thermal camera's swath from each leg
    // reaches the middle of the strip.
    let plan = vigie_patrol::perimeter_pattern(&area, 60.0, &settings, &obstacles)
        .map_err(|e| anyhow::anyhow!("patrol pattern: {e}"))?;
    let mission = plan
        .mission(None)
        .map_err(|e| anyhow::anyhow!("patrol mission: {e}"))?;
    c.say(format!(
        "perimeter patrol: {:.1} km of route, {} mission items, wind {} from {}",
        plan.route_length_m() / 1000.0,
        mission.items.len(),
        wind.map_or("unknown".into(), |w| format!("{:.0} km/h", w * 3.6)),
        wind_from.map_or("?".into(), |d| format!("{d:.0}°"))
    ));
    let planned = plan.route.clone();
    if let Err(why) = preflight(c).await {
        return Ok(Flown {
            planned,
            note: Some(why),
        });
    }
    // The station judges the upload as a patrol: zones, ceiling, endurance with the wind.
    if !c
        .ask(VehicleRequest::UploadMission(mission))
        .await
        .accepted()
    {
        return Ok(Flown {
            planned,
            note: Some("patrol refused at upload".into()),
        });
    }
    if !c.ask(VehicleRequest::StartMission).await.accepted() {
        return Ok(Flown {
            planned,
            note: Some("the patrol could not be started".into()),
        });
    }
    // The mission ends with the way home and an RTL: wait for the landing.
    let _ = tokio::time::timeout(Duration::from_secs(30), tel.wait_for(|t| t.armed)).await;
    if c.wait_landed(tel, 1500).await {
        c.say("patrol flown, landed and disarmed");
    } else {
        c.say("patrol not over after 25 min: bringing it home");
        c.home_and_land(tel).await;
    }
    Ok(Flown {
        planned,
        note: None,
    })
}
