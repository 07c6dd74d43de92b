//! An incident sent to a station's intake (`vigie_feeds::incidents` on the station): what the
//! CSU wall's form and `vigie incident post` share. Plain HTTP on the CSU's network, or HTTPS.

use std::time::Duration;

/// What the CSU says about the incident.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct IncidentPost {
    pub lat: f64,
    pub lon: f64,
    pub kind: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub note: String,
    /// When the alert was raised (RFC 3339); the station's receipt time when absent.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub at: Option<String>,
}

/// The station's answer: the incident's id, or why it was refused (the station names the field).
pub fn post_incident(url: &str, token: &str, incident: &IncidentPost) -> Result<String, String> {
    let agent = ureq::Agent::config_builder()
        .timeout_global(Some(Duration::from_secs(10)))
        .http_status_as_error(false)
        .user_agent(concat!(
            "vigie/",
            env!("CARGO_PKG_VERSION"),
            " (CSU incidents)"
        ))
        .build()
        .new_agent();
    let body = serde_json::to_string(incident).map_err(|e| e.to_string())?;
    let mut resp = agent
        .post(url)
        .header("Authorization", &format!("Bearer {token}"))
        .content_type("application/json")
        .send(body.as_str())
        .map_err(|e| format!("{url}: {e}"))?;
    let status = resp.status().as_u16();
    let text = resp
        .body_mut()
        .with_config()
        .limit(64 * 1024)
        .read_to_string()
        .unwrap_or_default();
    let answer: serde_json::Value = serde_json::from_str(&text).unwrap_or_default();
    match (status, answer["id"].as_str(), answer["error"].as_str()) {
        (201, Some(id), _) => Ok(id.to_string()),
        (_, _, Some(why)) => Err(format!(
            "the station refused the incident ({status}): {why}"
        )),
        _ => Err(format!("the station answered {status}: {text}")),
    }
}

/// The station's flights in progress, by vehicle system id (`GET /flights` beside the intake,
/// with the same token): the wall labels its tiles with them.
pub fn flights_now(
    incidents_url: &str,
    token: &str,
) -> Result<std::collections::BTreeMap<u8, String>, String> {
    let url = match incidents_url.strip_suffix("/incidents") {
        Some(base) => format!("{base}/flights"),
        None => format!("{}/flights", incidents_url.trim_end_matches('/')),
    };
    let agent = ureq::Agent::config_builder()
        .timeout_global(Some(Duration::from_secs(5)))
        .http_status_as_error(false)
        .build()
        .new_agent();
    let mut resp = agent
        .get(&url)
        .header("Authorization", &format!("Bearer {token}"))
        .call()
        .map_err(|e| format!("{url}: {e}"))?;
    let status = resp.status().as_u16();
    let text = resp
        .body_mut()
        .with_config()
        .limit(64 * 1024)
        .read_to_string()
        .unwrap_or_default();
    if status != 200 {
        return Err(format!("{url}: the station answered {status}: {text}"));
    }
    let answer: serde_json::Value =
        serde_json::from_str(&text).map_err(|e| format!("{url}: not JSON: {e}"))?;
    Ok(answer["flights"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|f| {
            let sysid = u8::try_from(f["sysid"].as_u64()?).ok()?;
            Some((sysid, f["flight_id"].as_str()?.to_string()))
        })
        .collect())
}
