//! RTSP restream to the CSU: the received H.264/H.265 access units re-payloaded (no re-encoding),
//! once, in one media shared by the viewers behind a leaky input (see [`RtspRestream::add_stream`]),
//! digest authentication from an htdigest file, every viewer session (who, from where, which
//! stream, start/end) reported as an event and listed live.
//!
//! We accept TCP connections ourselves and hand each socket to the server
//! (`gst_rtsp_server_transfer_connection`): that is how we learn each viewer's address, which the
//! 0.25 bindings do not expose on `RTSPClient`.

use std::collections::BTreeMap;
use std::net::{SocketAddr, TcpListener};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

use gstreamer as gst;
use gstreamer::glib;
use gstreamer_app as gst_app;
use gstreamer_rtsp as gst_rtsp;
use gstreamer_rtsp_server as rtsp;
use gstreamer_rtsp_server::gio;
use gstreamer_rtsp_server::prelude::*;

use crate::error::{Result, VideoError};
use crate::events::{Events, VideoEvent, ViewerSession};
use crate::ingest::Ingest;
use crate::stamp::now_unix_us;
use crate::tap::AppSrcFeeder;

#[derive(Debug, Clone)]
pub struct RestreamConfig {
    /// Address to listen on (port 0 picks a free port; see [`RtspRestream::local_addr`]).
    pub bind: SocketAddr,
    /// Viewer accounts (htdigest, see [`crate::users`]). Without it, only a loopback bind is allowed
    /// and viewers are `anonymous`.
    pub users_file: Option<PathBuf>,
    /// PEM certificate and key for RTSPS (TLS).
    pub tls: Option<(PathBuf, PathBuf)>,
    /// Asked before each PLAY is answered: an error refuses the viewer (503). The journal goes
    /// here, so that nobody watches unless their session is on record (fail closed).
    pub admission: Option<Admission>,
}

impl RestreamConfig {
    pub fn new(bind: SocketAddr) -> RestreamConfig {
        RestreamConfig {
            bind,
            users_file: None,
            tls: None,
            admission: None,
        }
    }
}

/// Whether a viewer may start (see [`RestreamConfig::admission`]); called on the RTSP server's
/// thread, so it should answer within a few milliseconds.
#[derive(Clone)]
pub struct Admission(Arc<AdmitFn>);

type AdmitFn = dyn Fn(&ViewerSession) -> std::result::Result<(), String> + Send + Sync;

impl Admission {
    pub fn new(
        f: impl Fn(&ViewerSession) -> std::result::Result<(), String> + Send + Sync + 'static,
    ) -> Admission {
        Admission(Arc::new(f))
    }
}

impl std::fmt::Debug for Admission {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Admission")
    }
}

/// Threads for viewers' requests; past this, viewers share them (a CSU has tens of screens).
const MAX_CLIENT_THREADS: i32 = 64;

/// Token field carrying the authenticated account name.
const USER_FIELD: &str = "vigie.user";

fn load_one_account(
    auth: &rtsp::RTSPAuth,
    users_file: &std::path::Path,
    account: &crate::users::Account,
    token: &rtsp::RTSPToken,
) -> Result<()> {
    use std::io::Write;
    static SEQ: AtomicU64 = AtomicU64::new(0);
    let tmp = std::env::temp_dir().join(format!(
        "vigie-viewer-{}-{}.htdigest",
        std::process::id(),
        SEQ.fetch_add(1, Ordering::Relaxed)
    ));
    let io = |source| VideoError::Io {
        path: tmp.clone(),
        source,
    };
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut f = options.open(&tmp).map_err(io)?;
    let written = writeln!(
        f,
        "{}:{}:{}",
        account.user,
        crate::users::REALM,
        account.ha1_hex
    )
    .map_err(io);
    drop(f);
    let ok = written.is_ok() && auth.parse_htdigest(&tmp, token);
    let _ = std::fs::remove_file(&tmp);
    written?;
    if ok {
        Ok(())
    } else {
        Err(VideoError::UsersFile {
            path: users_file.to_owned(),
            line: 0,
            reason: format!("account `{}` was refused by the RTSP server", account.user),
        })
    }
}

struct ServerState {
    events: Events,
    /// `v-SERVERSTART-PID`: with the per-server id, unique across restarts (the register's key).
    instance: String,
    scheme: &'static str,
    admission: Option<Admission>,
    viewers: Mutex<BTreeMap<u64, ViewerSession>>,
    next_id: AtomicU64,
    pending_peer: Mutex<Option<SocketAddr>>,
}

impl ServerState {
    fn end_session(&self, id: u64) {
        let ended = self.viewers.lock().ok().and_then(|mut v| v.remove(&id));
        if let Some(mut s) = ended {
            s.end_unix_us = Some(now_unix_us());
            tracing::info!(user = %s.user, peer = %s.peer, path = %s.path, "viewer session ended");
            self.events.emit(VideoEvent::ViewerEnded(s));
        }
    }
}

/// A running RTSP server. Dropping it stops accepting and closes every client.
pub struct RtspRestream {
    server: rtsp::RTSPServer,
    main_loop: glib::MainLoop,
    context: glib::MainContext,
    local_addr: SocketAddr,
    state: Arc<ServerState>,
    stop: Arc<AtomicBool>,
    threads: Vec<JoinHandle<()>>,
    tls: bool,
}

impl RtspRestream {
    pub fn start(config: RestreamConfig, events: Events) -> Result<RtspRestream> {
        crate::init()?;
        let server = rtsp::RTSPServer::new();
        // Each viewer's requests on a thread of its own. With the default (one thread for every
        // client) a DESCRIBE waits for its media's first keyframe (up to a GOP) while the other
        // viewers' requests queue behind it: 8 viewers connecting at once waited 8 GOPs, past
        // their clients' timeouts, and retried for ever with no picture.
        if let Some(pool) = server.thread_pool() {
            pool.set_max_threads(MAX_CLIENT_THREADS);
        }
        let anonymous = config.users_file.is_none();
        if anonymous && !config.bind.ip().is_loopback() {
            return Err(VideoError::Rtsp(format!(
                "refusing to serve video on {} without viewer accounts; give a users file \
                 (create one with `vigie video users add --file FILE NAME`) or bind to 127.0.0.1",
                config.bind
            )));
        }
        if config.users_file.is_some() || config.tls.is_some() {
            let auth = rtsp::RTSPAuth::new();
            auth.set_realm(Some(crate::users::REALM));
            auth.set_supported_methods(gst_rtsp::RTSPAuthMethod::Digest);
            let token = rtsp::RTSPToken::builder()
                .field("media.factory.role", "viewer")
                .build();
            if let Some(path) = &config.users_file {
                let accounts = crate::users::load(path)?;
                if accounts.is_empty() {
                    return Err(VideoError::UsersFile {
                        path: path.clone(),
                        line: 0,
                        reason: "no account; add one with `vigie video users add --file FILE NAME`"
                            .into(),
                    });
                }
                // One token per account, so each session knows who authenticated: the server's
                // htdigest reader gives every line of a file the same token, so feed it one line at a time.
                for account in &accounts {
                    let token = rtsp::RTSPToken::builder()
                        .field("media.factory.role", "viewer")
                        .field(USER_FIELD, account.user.as_str())
                        .build();
                    load_one_account(&auth, path, account, &token)?;
                }
            } else {
                let mut t = token.clone();
                auth.set_default_token(Some(&mut t));
            }
            if let Some((cert, key)) = &config.tls {
                let tls = gio::TlsCertificate::from_files(cert, key).map_err(|e| {
                    VideoError::Rtsp(format!(
                        "TLS certificate {} / key {}: {e}",
                        cert.display(),
                        key.display()
                    ))
                })?;
                auth.set_tls_certificate(Some(&tls));
            }
            server.set_auth(Some(&auth));
        }
        // Plain RTSP: we accept, so we know each viewer's address. RTSPS: the server must accept
        // itself (its TLS handshake runs only on that path), and the address is not exposed to us.
        let listener = if config.tls.is_none() {
            // Blocking accept (no polling while idle); shutdown wakes it with a connection.
            let l = TcpListener::bind(config.bind)
                .map_err(|e| VideoError::Rtsp(format!("cannot listen on {}: {e}", config.bind)))?;
            Some(l)
        } else {
            server.set_address(&config.bind.ip().to_string());
            server.set_service(&config.bind.port().to_string());
            None
        };

        let state = Arc::new(ServerState {
            events,
            instance: format!("v-{}-{}", now_unix_us(), std::process::id()),
            scheme: if config.tls.is_some() {
                "rtsps"
            } else {
                "rtsp"
            },
            admission: config.admission.clone(),
            viewers: Mutex::new(BTreeMap::new()),
            next_id: AtomicU64::new(1),
            pending_peer: Mutex::new(None),
        });
        {
            let state = state.clone();
            server.connect_client_connected(move |_, client| on_client(&state, client));
        }

        let context = glib::MainContext::new();
        let main_loop = glib::MainLoop::new(Some(&context), false);
        let stop = Arc::new(AtomicBool::new(false));
        let mut threads = Vec::new();
        let (bound_tx, bound_rx) = std::sync::mpsc::channel();
        {
            let (context, main_loop, server, tls) = (
                context.clone(),
                main_loop.clone(),
                server.clone(),
                listener.is_none(),
            );
            let pool = server.session_pool();
            threads.push(
                std::thread::Builder::new()
                    .name("rtsp-server".into())
                    .spawn(move || {
                        let _ = context.with_thread_default(|| {
                            // Expire sessions of viewers that vanished without a TEARDOWN.
                            if let Some(pool) = pool {
                                let watch = pool.create_watch(None, glib::Priority::DEFAULT, |p| {
                                    p.cleanup();
                                    glib::ControlFlow::Continue
                                });
                                watch.attach(Some(&context));
                            }
                            if tls {
                                let bound = server
                                    .create_source(gio::Cancellable::NONE)
                                    .map(|source| {
                                        source.attach(Some(&context));
                                        server.bound_port()
                                    })
                                    .map_err(|e| e.to_string());
                                let _ = bound_tx.send(bound);
                            }
                            main_loop.run();
                        });
                    })
                    .map_err(|e| VideoError::Rtsp(e.to_string()))?,
            );
        }
        let local_addr = match listener {
            Some(listener) => {
                let local_addr = listener
                    .local_addr()
                    .map_err(|e| VideoError::Rtsp(e.to_string()))?;
                let (server, context, stop, state) =
                    (server.clone(), context.clone(), stop.clone(), state.clone());
                threads.push(
                    std::thread::Builder::new()
                        .name("rtsp-accept".into())
                        .spawn(move || accept_loop(listener, server, context, stop, state))
                        .map_err(|e| VideoError::Rtsp(e.to_string()))?,
                );
                local_addr
            }
            None => {
                let port = bound_rx
                    .recv_timeout(Duration::from_secs(5))
                    .map_err(|e| VideoError::Rtsp(format!("the RTSPS server did not start: {e}")))?
                    .map_err(|e| {
                        VideoError::Rtsp(format!("cannot listen on {}: {e}", config.bind))
                    })?;
                let port = u16::try_from(port)
                    .map_err(|_| VideoError::Rtsp(format!("cannot listen on {}", config.bind)))?;
                SocketAddr::new(config.bind.ip(), port)
            }
        };
        tracing::info!(%local_addr, auth = !anonymous, "RTSP restream listening");
        Ok(RtspRestream {
            server,
            main_loop,
            context,
            local_addr,
            state,
            stop,
            threads,
            tls: config.tls.is_some(),
        })
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// `rtsp://HOST:PORT/STREAM` (or `rtsps://`) for a mounted stream.
    pub fn url(&self, stream: &str) -> String {
        let scheme = if self.tls { "rtsps" } else { "rtsp" };
        format!("{scheme}://{}/{stream}", self.local_addr)
    }

    /// Serve `ingest` at `/STREAM`: re-payloaded (no re-encoding) once, **one media shared by
    /// every viewer** (one payloader, one send thread writing each viewer's socket), fed from a
    /// leaky appsrc so that nothing the viewers do reaches the pilot's picture.
    ///
    /// gst-rtsp-server 1.22 paces a shared media to its fastest TCP viewer and gives each viewer
    /// a backlog of its own: a viewer that stops reading loses only its own data (after 10 s
    /// behind, its transport is dropped). Two of its gaps are closed here: a viewer joining while
    /// every other one is stalled was never served (nothing woke the send thread: see
    /// [`wake_senders`]), and a first RTP over UDP viewer then got no packet (so the shared media
    /// is served over TCP only; clients fall back to it). Test
    /// `a_stalled_viewer_slows_neither_the_pilot_nor_the_other_viewers`.
    pub fn add_stream(&self, ingest: &Ingest) -> Result<String> {
        self.mount(ingest, true)
    }

    /// The same with one media pipeline per viewer (a payloader and a send thread each): more
    /// work per viewer, for comparison in the relay benchmark.
    pub fn add_stream_per_viewer(&self, ingest: &Ingest) -> Result<String> {
        self.mount(ingest, false)
    }

    fn mount(&self, ingest: &Ingest, shared_media: bool) -> Result<String> {
        let codec = ingest.codec();
        crate::plugins::check(&crate::plugins::for_restream(codec))?;
        let stream = ingest.stream().to_owned();
        let factory = rtsp::RTSPMediaFactory::new();
        factory.set_launch(&format!(
            // The tap's access units are already parsed (caps with codec_data, or in-band parameter
            // sets): the payloader takes them as they are, no parser per viewer.
            "( appsrc name=restream-src ! {pay} name=pay0 pt=96 config-interval=-1 )",
            pay = codec.pay()
        ));
        factory.set_shared(shared_media);
        factory.set_suspend_mode(rtsp::RTSPSuspendMode::None);
        factory.set_eos_shutdown(false);
        // TLS end to end: on RTSPS the RTP goes interleaved inside the TLS connection, never in
        // clear UDP beside it (a SETUP asking for UDP is refused: 461 Unsupported transport).
        // The shared media is TCP only too: gst-rtsp-server 1.22 adds a stream's UDP sinks when
        // the first UDP viewer plays, by re-plugging its tee from the streaming thread, which a
        // stalled TCP viewer holds blocked: that viewer never got a packet. VLC, ffmpeg and
        // GStreamer retry over TCP on the 461.
        factory.set_protocols(if self.tls || shared_media {
            gst_rtsp::RTSPLowerTrans::TCP
        } else {
            gst_rtsp::RTSPLowerTrans::TCP | gst_rtsp::RTSPLowerTrans::UDP
        });
        factory.set_latency(0);
        factory.add_role_from_structure(
            &gst::Structure::builder("viewer")
                .field("media.factory.access", true)
                .field("media.factory.construct", true)
                .build(),
        );
        let shared = ingest.shared().clone();
        factory.connect_media_configure(move |_, media| {
            let element = media.element();
            let Some(appsrc) = element
                .downcast_ref::<gst::Bin>()
                .and_then(|b| b.by_name_recurse_up("restream-src"))
                .and_then(|e| e.downcast::<gst_app::AppSrc>().ok())
            else {
                tracing::error!("restream media without its appsrc");
                return;
            };
            // A few frames of slack; older ones are dropped, so a slow media never backs up ingest.
            AppSrcFeeder::configure(&appsrc, 8);
            let feeder = AppSrcFeeder::new(appsrc);
            let id = shared.tap.subscribe(move |sample| {
                feeder.push(sample);
            });
            let shared = shared.clone();
            media.connect_unprepared(move |_| shared.tap.unsubscribe(id));
        });
        let Some(mounts) = self.server.mount_points() else {
            return Err(VideoError::Rtsp("the server has no mount points".into()));
        };
        mounts.add_factory(&format!("/{stream}"), factory);
        Ok(self.url(&stream))
    }

    /// Viewer sessions in progress.
    pub fn viewers(&self) -> Vec<ViewerSession> {
        self.state
            .viewers
            .lock()
            .map(|v| v.values().cloned().collect())
            .unwrap_or_default()
    }

    fn shutdown(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if !self.tls {
            // Wake the blocking accept so it sees `stop`.
            let mut wake = self.local_addr;
            if wake.ip().is_unspecified() {
                wake.set_ip(match wake {
                    SocketAddr::V4(_) => std::net::Ipv4Addr::LOCALHOST.into(),
                    SocketAddr::V6(_) => std::net::Ipv6Addr::LOCALHOST.into(),
                });
            }
            let _ = std::net::TcpStream::connect_timeout(&wake, Duration::from_secs(1));
        }
        let server = self.server.clone();
        self.context.invoke(move || {
            server.client_filter(Some(&mut |_, client| {
                client.close();
                rtsp::RTSPFilterResult::Remove
            }));
        });
        // Let the close run before the loop stops.
        std::thread::sleep(Duration::from_millis(50));
        self.main_loop.quit();
        for t in self.threads.drain(..) {
            let _ = t.join();
        }
        let ids: Vec<u64> = self
            .state
            .viewers
            .lock()
            .map(|v| v.keys().copied().collect())
            .unwrap_or_default();
        for id in ids {
            self.state.end_session(id);
        }
    }
}

impl Drop for RtspRestream {
    fn drop(&mut self) {
        self.shutdown();
    }
}

fn accept_loop(
    listener: TcpListener,
    server: rtsp::RTSPServer,
    context: glib::MainContext,
    stop: Arc<AtomicBool>,
    state: Arc<ServerState>,
) {
    while !stop.load(Ordering::Relaxed) {
        match listener.accept() {
            Ok(_) if stop.load(Ordering::Relaxed) => break,
            Ok((stream, peer)) => {
                let _ = stream.set_nodelay(true);
                let fd = std::os::fd::OwnedFd::from(stream);
                let (server, state) = (server.clone(), state.clone());
                // Run in the server's context so the client attaches to it.
                context.invoke(move || {
                    let socket = match gio::Socket::from_fd(fd) {
                        Ok(s) => s,
                        Err(e) => {
                            tracing::warn!(%peer, error = %e, "could not adopt an RTSP connection");
                            return;
                        }
                    };
                    if let Ok(mut p) = state.pending_peer.lock() {
                        *p = Some(peer);
                    }
                    if let Err(e) = server.transfer_connection(
                        socket,
                        &peer.ip().to_string(),
                        i32::from(peer.port()),
                        None,
                    ) {
                        tracing::warn!(%peer, error = %e, "RTSP server refused a connection");
                    }
                });
            }
            Err(e) => {
                tracing::warn!(error = %e, "RTSP accept failed");
                std::thread::sleep(Duration::from_millis(100));
            }
        }
    }
}

fn on_client(state: &Arc<ServerState>, client: &rtsp::RTSPClient) {
    let peer = state.pending_peer.lock().ok().and_then(|mut p| p.take());
    let peer = peer
        .map(|p| p.to_string())
        .unwrap_or_else(|| "unknown".into());
    // A stalled viewer loses data; it never holds back the shared media (and so the other viewers).
    client.set_drop_backlog(true);
    let id = state.next_id.fetch_add(1, Ordering::Relaxed);
    // The server authenticates when a request names a media (DESCRIBE, SETUP); PLAY carries no token.
    let user: Arc<Mutex<Option<String>>> = Arc::default();
    for_each_media_request(client, user.clone());
    {
        let state = state.clone();
        // Before the PLAY is answered: a viewer the admission (the journal) refuses gets nothing.
        client.connect_pre_play_request(move |_, ctx| {
            let from_ctx = ctx.token().and_then(|t| t.string(USER_FIELD));
            let user = from_ctx
                .or_else(|| user.lock().ok().and_then(|u| u.clone()))
                .unwrap_or_else(|| "anonymous".into());
            let path = ctx
                .uri()
                .map(|u| path_of(&u.request_uri()))
                .unwrap_or_default();
            if state
                .viewers
                .lock()
                .map(|v| v.contains_key(&id))
                .unwrap_or(false)
            {
                return gst_rtsp::RTSPStatusCode::Ok;
            }
            let session = ViewerSession {
                id,
                session_id: format!("{}-{id}", state.instance),
                user,
                peer: peer.clone(),
                stream: path.trim_start_matches('/').to_owned(),
                path,
                scheme: state.scheme.to_owned(),
                start_unix_us: now_unix_us(),
                end_unix_us: None,
            };
            if let Some(admission) = &state.admission
                && let Err(reason) = (admission.0)(&session)
            {
                tracing::error!(user = %session.user, peer = %session.peer, path = %session.path, %reason, "viewer refused: the session could not be journaled");
                state.events.emit(VideoEvent::ViewerRefused { session, reason });
                return gst_rtsp::RTSPStatusCode::ServiceUnavailable;
            }
            tracing::info!(user = %session.user, peer = %session.peer, path = %session.path, "viewer session started");
            if let Ok(mut viewers) = state.viewers.lock() {
                viewers.insert(id, session.clone());
            }
            state.events.emit(VideoEvent::ViewerStarted(session));
            gst_rtsp::RTSPStatusCode::Ok
        });
    }
    client.connect_play_request(|_, ctx| wake_senders(ctx));
    {
        let state = state.clone();
        client.connect_teardown_request(move |_, _| state.end_session(id));
    }
    {
        let state = state.clone();
        client.connect_closed(move |_| state.end_session(id));
    }
}

/// A viewer has just started playing (its transports added): wake the shared media's send
/// thread. gst-rtsp-server 1.22 wakes it only for a new sample or a message sent; when every
/// other TCP viewer is stalled, no sample is pulled, the media's sinks stay full, and the new
/// viewer would wait for ever.
fn wake_senders(ctx: &rtsp::RTSPContext) {
    let Some(session) = ctx.session() else {
        return;
    };
    for media in session.filter(None) {
        for transport in media.transports() {
            transport.message_sent();
        }
    }
}

fn for_each_media_request(client: &rtsp::RTSPClient, user: Arc<Mutex<Option<String>>>) {
    let remember = move |ctx: &rtsp::RTSPContext| {
        if let Some(name) = ctx.token().and_then(|t| t.string(USER_FIELD))
            && let Ok(mut u) = user.lock()
        {
            *u = Some(name);
        }
    };
    let r2 = remember.clone();
    client.connect_describe_request(move |_, ctx| remember(ctx));
    client.connect_setup_request(move |_, ctx| r2(ctx));
}

/// `/stream` from `rtsp://host:port/stream/trackID=0`.
fn path_of(uri: &str) -> String {
    let rest = uri.split_once("://").map(|(_, r)| r).unwrap_or(uri);
    let path = rest.find('/').map(|i| &rest[i..]).unwrap_or("/");
    let mut parts = path
        .split('/')
        .filter(|p| !p.is_empty() && !p.starts_with("stream=") && !p.starts_with("trackID="));
    match parts.next() {
        Some(first) => format!("/{first}"),
        None => "/".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn path_of_a_request_uri() {
        assert_eq!(path_of("rtsp://127.0.0.1:8554/drone1"), "/drone1");
        assert_eq!(path_of("rtsp://127.0.0.1:8554/drone1/stream=0"), "/drone1");
        assert_eq!(path_of("rtsp://h"), "/");
    }

    #[test]
    fn an_open_server_must_stay_on_loopback() {
        let cfg = RestreamConfig::new("0.0.0.0:0".parse().unwrap());
        let err = RtspRestream::start(cfg, Events::log_only())
            .err()
            .unwrap()
            .to_string();
        assert!(err.contains("vigie video users add"), "{err}");
    }
}
