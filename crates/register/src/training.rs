//! Anonymised training copies (R242-11 IV): a legal flight's telemetry, events and recording copied
//! into the separate training register, without the pilot's identity or any video, marked as a copy.

use crate::error::{Error, Result};
use crate::records::*;
use crate::register::{Register, RegisterKind, file_ref, kind};

impl Register {
    /// Copy `flight_id` into `training` as an anonymised copy; journaled here as an extraction.
    /// Returns the copy's flight id in the training register.
    pub fn copy_to_training(
        &mut self,
        flight_id: &str,
        training: &mut Register,
        actor: &Actor,
        motive: &str,
    ) -> Result<String> {
        if self.kind() != RegisterKind::Legal || training.kind() != RegisterKind::Training {
            return Err(Error::BadInput(
                "an anonymised copy goes from the legal register to the training register".into(),
            ));
        }
        let view = self.flight_view_unjournaled(flight_id)?;
        let Some(seal) = view.seal.clone() else {
            return Err(Error::BadInput(format!(
                "flight {flight_id} is not sealed yet"
            )));
        };
        let (Some(dep), Some(auth)) = (view.deployment.clone(), view.authorisation.clone()) else {
            return Err(Error::BadInput(format!(
                "flight {flight_id}: its deployment or authorisation is missing from the register"
            )));
        };
        let copy_id = format!("anon-{flight_id}");
        if training.flight_state(&copy_id)?.is_some() {
            return Err(Error::BadInput(format!(
                "training register already holds {copy_id}"
            )));
        }
        self.journal_access(
            actor,
            AccessAction::Extraction,
            motive,
            Some("training register (anonymised copy)"),
            vec![flight_id.to_string()],
            view.entry_ids.clone(),
        )?;
        // The authorisation and deployment are administrative records, not personal data.
        // Several flights may share them: copy each once.
        let anon_auth = format!("anon-{}", auth.arrete_number);
        if training
            .latest(&format!("authorisation:{anon_auth}"), kind::AUTHORISATION)?
            .is_none()
        {
            training.add_authorisation(&AuthorisationRecord {
                arrete_number: anon_auth.clone(),
                ..auth
            })?;
        }
        let anon_dep = format!("anon-{}", dep.deployment_id);
        if training
            .latest(&format!("deployment:{anon_dep}"), kind::DEPLOYMENT)?
            .is_none()
        {
            training.start_deployment(&DeploymentRecord {
                deployment_id: anon_dep.clone(),
                arrete_number: anon_auth.clone(),
                ..dep
            })?;
        }
        training.start_flight(&FlightStart {
            flight_id: copy_id.clone(),
            deployment_id: anon_dep.clone(),
            arrete_number: anon_auth,
            pilot_id: "anonymised".into(),
            anonymised_copy: true,
            ..view.start.clone()
        })?;
        for ev in &view.events {
            training.record_event(&EventRecord {
                flight_id: Some(copy_id.clone()),
                ..ev.clone()
            })?;
        }
        for w in &view.wind {
            training.record_wind(&WindReading {
                flight_id: Some(copy_id.clone()),
                ..w.clone()
            })?;
        }
        // Telemetry recording only; video is never copied (it would need real anonymisation).
        let rrd = match &seal.rrd {
            Some(r) => {
                let src = self.resolve(&r.path);
                let dir = training.recordings_dir(&copy_id);
                std::fs::create_dir_all(&dir).map_err(|e| Error::io(&dir, e))?;
                let dst = dir.join("flight.rrd");
                std::fs::copy(&src, &dst).map_err(|e| Error::io(&dst, e))?;
                let copied = file_ref(&dst)?;
                if copied.sha256 != r.sha256 {
                    return Err(Error::Recording {
                        path: src.display().to_string(),
                        detail: format!(
                            "SHA-256 {} differs from the sealed {}",
                            copied.sha256, r.sha256
                        ),
                    });
                }
                Some(copied)
            }
            None => None,
        };
        training.seal_flight(&FlightSeal {
            flight_id: copy_id.clone(),
            tlog: None,
            rrd,
            covered_entries: Vec::new(),
            ..seal
        })?;
        Ok(copy_id)
    }
}
