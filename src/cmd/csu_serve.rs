//! What a station gives its CSU (`vigie demo` and `vigie fly` share these options): each
//! vehicle's video over RTSP with accounts, every viewer in the station's register, and a
//! read-only copy of the vehicles' telemetry for the CSU wall's map (the link's forwarder: what
//! comes back on it never reaches a vehicle), and the incidents the CSU posts to the pilot.

use std::path::PathBuf;

use vigie_link::{LinkAddress, LinkConfig};
use vigie_station::StationConfig;

use crate::exit::BadInput;

#[derive(Debug, Clone, Default, clap::Args)]
pub struct CsuServeArgs {
    /// Serve each vehicle's video over RTSP on this address (e.g. 0.0.0.0:8554): the CSU's
    /// viewers, its video management system, VLC at rtsp://HOST:PORT/drone-1. Every viewer's
    /// session goes to the register before their first frame.
    #[arg(long, value_name = "ADDR:PORT")]
    pub rtsp: Option<String>,
    /// The viewers' accounts (htdigest; add one with `vigie video users add --file FILE NAME`). Needed for any
    /// bind beyond this machine.
    #[arg(long, value_name = "FILE")]
    pub rtsp_users: Option<PathBuf>,
    /// Send a read-only copy of the vehicles' telemetry to the CSU wall (`vigie csu`), HOST:PORT.
    #[arg(long, value_name = "HOST:PORT")]
    pub csu_telemetry: Vec<String>,
    /// Take incidents posted over HTTP by the CSU or an alert network on this address
    /// (POST /incidents, JSON; see `vigie_feeds::incidents`); they appear on the pilot's map.
    #[arg(long, value_name = "ADDR:PORT", requires = "incident_tokens")]
    pub incidents: Option<String>,
    /// Who may post incidents: one `NAME TOKEN` per line (tokens of 24 characters or more).
    #[arg(long, value_name = "FILE", requires = "incidents")]
    pub incident_tokens: Option<PathBuf>,
}

impl CsuServeArgs {
    pub fn apply(&self, config: &mut StationConfig) -> anyhow::Result<()> {
        if let Some(bind) = &self.rtsp {
            let addr: std::net::SocketAddr = bind.parse().map_err(|_| {
                BadInput(format!(
                    "--rtsp {bind}: not an address and port (e.g. 0.0.0.0:8554)"
                ))
            })?;
            if !addr.ip().is_loopback() && self.rtsp_users.is_none() {
                return Err(BadInput(format!(
                    "--rtsp {bind} serves video beyond this machine: give --rtsp-users FILE \
                     (create it with `vigie video users add --file FILE NAME`)"
                ))
                .into());
            }
            if let Some(f) = &self.rtsp_users
                && !f.is_file()
            {
                return Err(BadInput(format!(
                    "--rtsp-users {}: no such file (create it with `vigie video users add --file {} NAME`)",
                    f.display(),
                    f.display()
                ))
                .into());
            }
            let mut rc = vigie_video::RestreamConfig::new(addr);
            rc.users_file = self.rtsp_users.clone();
            config.rtsp = Some(rc);
        } else if self.rtsp_users.is_some() {
            return Err(BadInput(
                "--rtsp-users without --rtsp: give the address to serve on".into(),
            )
            .into());
        }
        if let (Some(bind), Some(tokens)) = (&self.incidents, &self.incident_tokens) {
            let addr: std::net::SocketAddr = bind.parse().map_err(|_| {
                BadInput(format!(
                    "--incidents {bind}: not an address and port (e.g. 0.0.0.0:8088)"
                ))
            })?;
            let intake =
                vigie_station::IncidentIntake::from_file(addr, tokens).map_err(BadInput)?;
            config.feeds.incidents = Some(intake);
        }
        for remote in &self.csu_telemetry {
            if remote.parse::<std::net::SocketAddr>().is_err() {
                return Err(BadInput(format!(
                    "--csu-telemetry {remote}: not an address and port (e.g. 10.0.0.5:14600)"
                ))
                .into());
            }
            config
                .link
                .links
                .push(LinkConfig::read_only(LinkAddress::UdpOut {
                    remote: remote.clone(),
                }));
        }
        Ok(())
    }
}
