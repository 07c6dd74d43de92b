# Vigie — English catalogue (second language). Every key also exists in fr.ftl (a test fails
# otherwise). Variables are written { $name }.

## General
none = none
the-station = the station
vehicle-name = Drone { $id }
no-vehicle = No drone connected
no-vehicle-short = no drone
no-verdict-yet = pre-flight verdict not computed yet
station-busy = The station is busy: command not sent, press again.
training-badge = TRAINING — outside the legal register
top-session = Pilot: { $pilot } · Arrêté: { $arrete }
screen-fly = FLY
screen-plan = PLAN
screen-register = REGISTER
screen-session = SESSION
screen-settings = SETTINGS
armed = ARMED
disarmed = disarmed
link-lost = LINK LOST
link-up = link up
link-down = link down

## Alarms
alarm-critical = ALARM
alarm-warning = WARNING
alarm-acknowledge = ACKNOWLEDGE
alarm-line = { $who }: { $what }
alarm-link-lost = link lost
alarm-fence-breach = FENCE BREACH
alarm-in-flight = rule { $rule } in flight
alarm-vehicle-warning = the drone reports: { $detail }
alarm-register-fault = legal register fault
alarm-signing-rejected = frames rejected (MAVLink signing)
level-alarm = ALARM
level-warning = WARNING
level-info = ·

## Pre-flight and commands
go = GO
go-with-warnings = GO (with warnings)
no-go = NO-GO
already-armed = already armed
in-flight = In flight
btn-arm = ARM — { $vehicle }
btn-takeoff = TAKE OFF — { $vehicle } to { $alt } m
btn-rtl = RETURN (RTL) — { $vehicle }
btn-land = LAND — { $vehicle }
btn-brake = BRAKE — { $vehicle }
btn-fence = FENCE — { $vehicle }
btn-fence-hint = Compute, upload, read back and enable the fence
btn-start-mission = START MISSION — { $vehicle }
btn-altitude = CHANGE ALTITUDE — { $vehicle }
btn-rtl-all = RETURN (RTL) — ALL DRONES
btn-go-here = GO HERE — { $vehicle }
btn-orbit-here = ORBIT HERE — { $vehicle }
btn-clear-target = Clear the target
btn-confirm = CONFIRM
btn-cancel = CANCEL
target-hint = Touch the map to pick a target (go here, orbit here).
target-at = Target: { $at }
confirm-go-here = { $vehicle } flies to the target, { $alt } m above home?
confirm-orbit = { $vehicle } orbits the target, radius { $radius } m, at { $alt } m?
confirm-rtl-all = Return to launch (RTL) for { $vehicles }?

## Instruments
inst-mode = Mode
inst-height = Height (above home)
inst-amsl = Altitude (AMSL)
inst-speed = Ground speed
inst-heading = Heading
inst-battery = Battery (left, wind included)
inst-minutes-left = { $min } min
inst-gps = GPS
inst-link = Link
inst-link-ok = ✔ last heartbeat { $age } s ago
inst-flight-time = Flight time
inst-home-distance = Distance to home
inst-fence = Fence
fence-active = loaded and enabled
fence-loaded-off = loaded, NOT enabled
fence-not-loaded = not loaded
fence-breach = FENCE BREACH

## Wind
wind-gauge = Wind (take-off limit)
wind-no-reading = no fresh reading
wind-no-source = no wind source: take-off refused
wind-source-line = { $source }: { $wind } km/h, { $age } s ago
wind-status-ok = below the limit
wind-status-warn = close to the limit
wind-status-above = above the limit
wind-status-hysteresis = back under the limit only recently
wind-status-no-fresh = no fresh source

## Map
map-follow-on = Follow the drone: ON
map-follow-off = Follow the drone: OFF
map-perimeter = Authorised perimeter: { $name }
map-perimeter-edge = the edge of the perimeter
map-breach = BREACH: { $what } in { $seconds } s
map-tiles-problem = Basemap: { $detail }
zone-prohibited = PROHIBITED
zone-auth-required = AUTHORISATION REQUIRED
zone-conditional = CONDITIONAL
zone-none = no restriction

## Video
video-full = Full screen
video-exit-full = Leave full screen
video-waiting = waiting for video…
video-frozen = FROZEN PICTURE
video-none = no video stream
video-health = { $w }×{ $h } · { $dropped } frames dropped · last { $age } s ago
video-health-slot = { $w }×{ $h } · last frame { $age } s ago

## Events
event-connected = { $who } connected
event-link-lost = { $who }: link lost
event-link-regained = { $who }: link regained
event-link-up = link { $link } up ({ $detail })
event-link-down = link { $link } down: { $reason }
event-armed = { $who } armed
event-disarmed = { $who } disarmed
event-mode = { $who } in mode { $mode }
event-vehicle-said = { $who } says: { $text }
event-autopilot-ready = { $who }: autopilot ready to arm
event-autopilot-not-ready = { $who }: autopilot not ready to arm
event-mission-item = { $who } reached item { $n }
event-fence-breach = { $who }: FENCE BREACH
event-fence-cleared = { $who }: back inside the fence
event-refused = { $request } refused for { $who }: { $reasons }
event-commanded = { $request } → { $who }: { $result }
event-request-failed = { $request } for { $who } failed: { $failure }
event-fence-uploaded = { $who }: fence of { $items } items uploaded, read back identical, enabled
event-fence-uploaded-not-enabled = { $who }: fence of { $items } items uploaded, read back identical, NOT enabled
event-mission-uploaded = { $who }: mission of { $items } items uploaded, read back identical
event-wind-gate = wind gate: { $status }, { $wind } (limit { $limit } km/h)
event-in-flight = { $who }: { $reasons }
event-flight-opened = { $who }: flight { $flight } opened in the register
event-flight-sealed = { $who }: flight { $flight } sealed and signed
event-register-fault = register: { $what }
event-signing-rejected = { $who }: frames rejected on { $link }: { $why }
event-command-dropped = { $message } dropped, from read-only output { $link }

## Requests, results, failures
request-arm = arm
request-arm-in-guided = arm (GUIDED)
request-arm-and-takeoff = arm and take off
request-takeoff = take-off
request-disarm = disarm
request-go-to = go to
request-orbit = orbit
request-change-altitude = altitude change
request-set-mode = mode change
request-rtl = return (RTL)
request-land = landing
request-brake = brake
request-upload-fence = fence upload
request-upload-mission = mission upload
request-start-mission = mission start
result-accepted = accepted
result-temporarily-rejected = temporarily rejected
result-denied = denied
result-unsupported = unsupported
result-failed = failed
result-cancelled = cancelled
result-no-ack = no answer
failure-vehicle-unknown = { $vehicle } is not connected
failure-vehicle-answered = the drone answered: { $result }
failure-link = link: { $detail }
failure-no-authorisation = no arrêté selected: the fence needs its perimeter
failure-fence = cannot build the fence: { $detail }
failure-read-back = the read-back differs from what was sent: { $detail }
failure-preempted = stopped by a safety command ({ $request })
failure-superseded = replaced by a newer request ({ $request })
failure-busy = an upload is already in progress on this drone
failure-no-mission = no mission uploaded
failure-unknown-alarm = unknown alarm
failure-stopped = the station has stopped

failure-login-refused = login refused: { $reason }
failure-login-locked = login refused: { $reason }; account locked until { $until }
failure-unknown-authorisation = no arrêté { $arrete } in the session: import it first
failure-bad-authorisation = unreadable arrêté: { $detail }
failure-in-flight = flight in progress: { $request } not possible while a drone is armed
event-automatic-action = { $who }: automatic { $action } (rule { $rule })
event-logged-in = pilot { $pilot } logged in
event-login-refused = login of pilot { $pilot } refused: { $reason }
event-logged-out = pilot { $pilot } logged out
event-authorisation-ending = arrêté { $arrete } ends in { $minutes } min
event-authorisation-selected = arrêté { $arrete } selected
event-metar = METAR received: { $raw }
event-feed-up = feed { $feed } up ({ $detail })
event-feed-fault = feed { $feed } faulty: { $reason }
alarm-authorisation-ending = the arrêté ends in { $minutes } min: plan the landing
alarm-feed = feed { $feed } faulty
request-login = login
request-logout = logout
request-select-authorisation = arrêté selection
request-import-authorisation = arrêté import

## Session
session-title = Session
session-training-note = Training flight: pilot rules inform without blocking; nothing goes into the legal register.
session-pilot = Pilot
session-arrete = Préfet's arrêté
session-finalite = Purpose
session-validity = Validity
session-validity-range = from { $from } to { $until }
session-issuer = Authority
session-login = Pilot login
session-pilot-id = ID
session-pin = PIN
btn-login = LOG IN
btn-logout = LOG OUT
session-logged-in = { $pilot } is logged in
session-locked = account locked until { $until } after wrong PINs
session-authorisations = Préfet's arrêtés
auth-revoked = revoked
auth-valid-now = valid now
auth-not-valid-now = outside its validity window
auth-selected = selected
btn-select = SELECT
session-import-path = Arrêté file (TOML)
btn-import-authorisation = IMPORT THE ARRÊTÉ
checklist-title = Pre-flight checklist
checklist-ticked = ticked
checklist-to-tick = to tick
checklist-auto = (automatic: from the rules)

## Plan
plan-title = Mission plan
plan-click-does = A touch on the map adds:
tool-waypoint = Waypoint
tool-loiter = Loiter
tool-roi = Region of interest (camera)
tool-polygon = Polygon vertex
tool-home = Planned home
plan-default-alt = Altitude
plan-loiter-time = Loiter
plan-polygon = Polygon: { $n } vertices
plan-patrol-offset = Offset
btn-patrol = PERIMETER PATROL
plan-patrol-too-narrow = Polygon too narrow for this offset.
plan-survey-spacing = Spacing
plan-survey-heading = Heading
btn-survey = SURVEY GRID
btn-clear-polygon = Clear the polygon
plan-generated = { $n } points added
btn-remove = Remove
btn-add-rtl = + Return (RTL)
btn-clear-plan = Clear all
item-takeoff = Take-off
item-waypoint = Waypoint
item-loiter = Loiter
item-land = Land
item-rtl = Return (RTL)
item-roi = Region of interest
item-other = Command { $command }
plan-valid = PLAN VALID
plan-valid-warnings = PLAN VALID (with warnings)
plan-refused = PLAN REFUSED
plan-file = .plan file (QGroundControl)
btn-import = IMPORT
btn-export = EXPORT
plan-imported = { $n } items imported
plan-exported = Plan written: { $path }
btn-upload = UPLOAD — { $vehicle }
plan-upload-sent = Mission sent to the station (judged again before it goes to the drone).
plan-upload-refused = the rules refuse this plan: fix the legs in red
plan-drag-hint = Drag to move

## Register
desk-title = Flight register
desk-actor = Officer's ID
desk-actor-name = Name
desk-role = Role
desk-motive = Motive (judicial, administrative, disciplinary, training) and reference
desk-training-register = Training register
desk-from = From (YYYY-MM-DD)
desk-to = To (YYYY-MM-DD)
desk-pilot = Pilot
desk-arrete = Arrêté
desk-hold-only = Only flights under legal hold
desk-search = SEARCH
desk-who-needed = Who reads and why: required (R242-12), every read is journaled.
desk-busy = { $what } in progress… ({ $s } s)
desk-flights = { $n } flights
desk-col-start = Start
desk-col-pilot = Pilot
desk-col-arrete = Arrêté
desk-col-place = Place
desk-col-state = State
desk-sealed = sealed
desk-open = open
desk-on-hold = on hold
desk-open-flight = Open
desk-flight = Flight { $id }
desk-flight-line = Pilot { $pilot } · aircraft { $aircraft } · arrêté { $arrete } · { $place } · start { $start }
desk-seal = End { $end } · { $km } km · max height { $alt } m
desk-hold-line = legal hold: procedure { $reference }, by { $by }
desk-counts = { $events } events · { $refusals } refusals · { $segments } video segments · { $viewers } viewings
desk-domicile = (home interior: erased at 48 h)
desk-segment-erased = segment erased (legal purge)
desk-recipient = Export recipient
desk-out-dir = Export folder
desk-export = EXPORT THE EVIDENCE BUNDLE
desk-replay = REPLAY (Rerun)
desk-procedure = Procedure reference
desk-place-hold = PLACE A LEGAL HOLD
desk-release-hold = LIFT THE LEGAL HOLD
desk-rerun-missing = The Rerun viewer is not installed: pip install rerun-sdk==0.36.3 (or VIGIE_RERUN=path).

desk-filters = Filters (dates, pilot, arrêté, hold)

## Settings
settings-title = Settings
settings-lang = Language
settings-theme = Theme
theme-day = Day (full sun)
theme-night = Night
settings-follow = Map
settings-follow-hint = follow the selected drone
settings-takeoff-alt = Take-off height
settings-orbit-radius = Orbit radius
settings-alarm-sound = Alarm sound
settings-online-url = Online basemap (XYZ/WMTS, {"{"}z{"}"} {"{"}x{"}"} {"{"}y{"}"})
settings-online-attribution = Online basemap attribution
settings-offline-path = Offline basemap (MBTiles or folder)
settings-offline-attribution = Offline basemap attribution
settings-tiles-hint = With no basemap configured, the map of Istres and the Étang de Berre shipped with Vigie is used (no network).
settings-save = SAVE
settings-revert = CANCEL
settings-saved = Settings saved.
settings-bad-url = The online basemap address must contain {"{"}z{"}"}, {"{"}x{"}"} and {"{"}y{"}"}.

## Flight rules (flight_rules: stable key and arguments)
rule-how-inside = is inside
rule-how-maybe-inside = may be inside (position or altitude uncertain)
rule-what-takeoff-point = The take-off point
rule-what-vehicle-position = The drone's position
rule-what-vehicle = The drone
rule-what-leg-to-item = The leg to item { $seq }
rule-what-leg = Leg { $n }
rule-what-target-altitude = The target altitude
rule-what-current-altitude = The current altitude
rule-what-takeoff-altitude = The take-off height
rule-what-point = The point
rule-alt-agl = { $m } m AGL
rule-alt-amsl = { $m } m AMSL
rule-alt-wgs84 = { $m } m (WGS84)
rule-alt-rel-home = { $m } m above home
rule-zone-prohibited = { $what } { $how } PROHIBITED zone { $zone } "{ $name }"{ $message ->
    [none] {""}
   *[other] {" "}— { $message }
    }
rule-zone-auth-covered = { $what } { $how } zone { $zone } "{ $name }", covered by arrêté { $arrete }
rule-zone-auth-required = { $what } { $how } zone { $zone } "{ $name }", which needs an authorisation naming it{ $message ->
    [none] {""}
   *[other] {" "}— { $message }
    }
rule-zone-conditional = { $what } { $how } conditional zone { $zone } "{ $name }"{ $message ->
    [none] {""}
   *[other] {" "}— { $message }
    }
rule-pilot-training = training flight: pilot rules do not block
rule-pilot-missing = no pilot logged in{ $training ->
    [yes] {" "}(training: not blocking)
   *[no] {""}
    }
rule-pilot-cert-expired = certificate { $cert } of { $pilot } expired on { $date }{ $training ->
    [yes] {" "}(training: not blocking)
   *[no] {""}
    }
rule-pilot-unqualified = { $pilot } is not qualified on "{ $airframe }" (qualified: { $qualified }){ $training ->
    [yes] {" "}(training: not blocking)
   *[no] {""}
    }
rule-pilot-airframe-unknown = airframe unknown: qualification cannot be checked{ $training ->
    [yes] {" "}(training: not blocking)
   *[no] {""}
    }
rule-pilot-not-current = { $pilot } last flew on { $date }: not current (a flight within { $days } days is required){ $training ->
    [yes] {" "}(training: not blocking)
   *[no] {""}
    }
rule-pilot-no-flight = no recorded flight for { $pilot }: recency unknown{ $training ->
    [yes] {" "}(training: not blocking)
   *[no] {""}
    }
rule-auth-missing = no préfet's authorisation selected (L242-5)
rule-auth-revoked = arrêté { $arrete } was revoked
rule-auth-not-yet = arrêté { $arrete } is valid only from { $from }
rule-auth-expired = arrêté { $arrete } expired on { $until }
rule-auth-ends-mid-flight = arrêté { $arrete } ends on { $until }, mid-flight: the mission would last until { $end }
rule-auth-revoked-before-end = arrêté { $arrete } is revoked from { $at }, before the mission ends
rule-auth-ends-soon = arrêté { $arrete } ends in { $minutes } min, on { $until }: plan the landing
rule-auth-cameras = { $n } cameras in use, arrêté { $arrete } allows { $max } at a time
rule-auth-duration = arrêté { $arrete } is valid for { $days } days, more than the { $max } days L242-5 allows
rule-perimeter-leg-leaves = { $what } ({ $from } → { $to }) leaves the authorised perimeter
rule-perimeter-leg-edge = { $what } ({ $from } → { $to }) comes too close to the edge of the authorised perimeter
rule-perimeter-point-outside = { $what } ({ $point }) is outside the perimeter of arrêté { $arrete }
rule-perimeter-point-edge = { $what } ({ $point }) is too close to the edge of the perimeter of arrêté { $arrete }
rule-perimeter-vehicle-outside = the drone ({ $point }) is outside the perimeter of arrêté { $arrete }
rule-takeoff-point-unknown = take-off point unknown (no fresh fix): zones and perimeter cannot be checked
rule-ceiling-above = { $what } ({ $alt }) is above the { $ceiling } m AGL ceiling
rule-ceiling-may-exceed = { $what } ({ $alt }) may exceed the { $ceiling } m AGL ceiling (height above ground between { $lo } and { $hi } m)
rule-ceiling-invalid-takeoff = take-off height { $alt } m is not valid
rule-route-position-unknown = current position unknown or stale: the route cannot be checked
rule-and-more = { $inner } (and { $count } more)
rule-mission-none = no mission loaded
rule-mission-home-unknown = home unknown: the mission path cannot be checked
rule-mission-no-altitude = items { $items } have no usable altitude reference
rule-mission-no-navigation = the mission has no navigation item
rule-wind-no-fresh = no fresh wind reading ({ $stale } stale): wind unknown
rule-wind-above-takeoff-limit = wind { $wind } km/h ({ $source }) at or above the { $limit } km/h take-off limit
rule-wind-above-limit-rtl = wind { $wind } km/h ({ $source }) at or above the { $limit } km/h limit: return to launch recommended
rule-wind-hysteresis = wind { $wind } km/h ({ $source }) back under the { $limit } km/h limit only recently: wait for it to settle
rule-wind-warn = wind { $wind } km/h ({ $source }) above { $percent } % of the { $limit } km/h limit
rule-source-anemometer = anemometer
rule-source-metar = METAR
rule-source-vehicle = drone's estimate
rule-vehicle-unknown = no drone connected
rule-vehicle-prearm-not-ready = the autopilot is not ready to arm{ $reasons ->
    [none] {""}
   *[other] : { $reasons }
    }
rule-vehicle-prearm-unknown = the autopilot does not report its pre-arm checks; it runs them when asked to arm{ $reasons ->
    [none] {""}
   *[other] : { $reasons }
    }
rule-vehicle-gps-fix = GPS fix { $fix } with { $sats } satellites (need fix ≥ { $min_fix } and ≥ { $min_sats } satellites)
rule-vehicle-position-old = position is { $age } s old (limit { $limit } s)
rule-vehicle-no-position = no position from the drone
rule-vehicle-home-unset = home position not set
rule-vehicle-fence-not-loaded = on-board fence not loaded
rule-vehicle-fence-not-enabled = on-board fence loaded but not enabled (FENCE_ENABLE)
rule-vehicle-battery-unknown = battery level unknown
rule-vehicle-battery-low = battery { $pct } % is below the { $needed } % needed (mission, wind and { $reserve } % reserve)
rule-checklist-incomplete = checklist incomplete: { $items }
rule-battery-return-now = battery { $pct } %: the reserve for the way home against the wind is reached ({ $needed } % needed): return now
rule-battery-return-soon = battery { $pct } %: { $needed } % is needed to come home against the wind with the reserve
rule-gps-degraded = GPS degraded: fix { $fix } with { $sats } satellites (need fix ≥ { $min_fix } and ≥ { $min_sats })
rule-monitor-no-position = no fresh position from the drone
rule-breach-zone = zone { $zone } "{ $name }" is { $distance } m away
rule-breach-zone-soon = zone { $zone } "{ $name }" is { $distance } m away, reached in about { $seconds } s
rule-breach-perimeter = the edge of the perimeter is { $distance } m away
rule-breach-perimeter-soon = the edge of the perimeter is { $distance } m away, reached in about { $seconds } s
rule-traffic-own-unknown = the drone's position is unknown: { $n } manned aircraft heard nearby cannot be judged
rule-traffic-takeoff = { $traffic } within the { $radius } m / { $height } ft take-off radius: wait until it clears
rule-traffic-inflight = { $traffic } within { $radius } m and { $height } ft of the drone
rule-traffic-above = manned traffic { $label } { $distance } m away, { $ft } ft above{ $ground ->
    [yes] , on the ground
   *[no] {""}
} (position { $age } s old)
rule-traffic-below = manned traffic { $label } { $distance } m away, { $ft } ft below{ $ground ->
    [yes] , on the ground
   *[no] {""}
} (position { $age } s old)
rule-traffic-amsl = manned traffic { $label } { $distance } m away, at about { $ft } ft AMSL{ $ground ->
    [yes] , on the ground
   *[no] {""}
} (position { $age } s old)
rule-traffic-unknown-height = manned traffic { $label } { $distance } m away, at an unknown height{ $ground ->
    [yes] , on the ground
   *[no] {""}
} (position { $age } s old)
rule-legal-training-plain = training flight: plain aviation (no personal data, no recording kept)
rule-legal-missing = no legal basis selected for this flight (CSI L242, natural-risk prevention, plain aviation…)
rule-legal-training-personal = training flights fly under plain aviation, not under { $basis }
rule-legal-purpose = purpose "{ $purpose }" is not allowed under { $basis } ({ $title }); allowed: { $allowed }
rule-legal-document = { $basis } requires { $label } ("{ $kind }"): none given
rule-legal-emergency = { $basis } has no emergency procedure: authorisation and public information come first
rule-legal-finalite = purpose "{ $purpose }" differs from the finalité of arrêté { $arrete } ("{ $finalite }")
rule-point-ceiling-above = { $alt } m AGL is above the { $ceiling } m AGL ceiling
rule-point-perimeter-outside = the point is outside the perimeter of arrêté { $arrete }
rule-point-perimeter-edge = the point is too close to the edge of the perimeter of arrêté { $arrete }
rule-point-auth-window = arrêté { $arrete } is not in force at this time
event-flight-resumed = { $who }: flight { $flight } resumed after { $gap } s without a station
event-flight-left-open-stopped = flight { $flight } left open by the station's previous stop
event-flight-left-open-killed = flight { $flight } left open: the previous station was killed
event-flight-ended-while-away = { $who }: flight { $flight } ended while the station was away ({ $report })
event-flight-interrupted = { $who }: station stopped, flight { $flight } left open
event-flight-interrupted-airborne = { $who }: station stopped IN FLIGHT, flight { $flight } left open; vehicle failsafe: { $failsafe }
event-read-back-matches = { $who }: { $what } on board matches the register
event-read-back-differs = { $who }: { $what } on board DIFFERS from the register
event-checklist-completed = checklist complete
event-took-off = { $who } took off
event-landed = { $who } landed and disarmed, battery { $battery } %
event-alarm-cleared = { $who }: alarm cleared ({ $what })
event-alarm-acknowledged = { $who }: alarm acknowledged by { $by }
event-breach-predicted = { $who }: breach of { $what } predicted in { $seconds } s ({ $metres } m)
event-hotspot = { $who }: hot spot { $id } ± { $error } m ({ $n } sightings)
failure-bad-hotspot = hot spot refused: its position or its error is not a number
failure-unknown-hotspot = no hot spot { $id } in this patrol
failure-nothing-recorded = nothing flagged: no video of drone { $vehicle } is being recorded
alarm-read-back = the fence or mission on board differs from the register (or could not be read back)
instructor-title = Instructor
instructor-hint = Faults injected live into the simulator
instructor-link-loss = Link loss
instructor-link-ok = Link back
instructor-gps-loss = GPS loss
instructor-gps-ok = GPS back
instructor-gust = Gust 70 km/h
instructor-battery-drop = Battery −30 %
instructor-video-loss = Video loss
instructor-video-ok = Video back
instructor-clear = Clear all
rule-auth-not-needed-training = training flight under plain aviation: no préfet's authorisation needed
rule-auth-not-needed-basis = no préfet's authorisation: the legal basis { $basis } does not require one
rule-link-unsigned = the link to the drone is not signed (MAVLink 2 signing): anyone on the network could command it or fake its position; install its key (vigie keys) over a wired link
rule-link-signing-unknown = whether the link to the drone is signed is not known yet
rule-link-no-vehicle = no drone: its link cannot be judged signed
rule-remote-id-no-vehicle = no drone: its Remote ID cannot be checked
rule-remote-id-not-heard = no Remote ID heard from the drone: it is required
rule-remote-id-no-arm-status = the Remote ID module has not said whether it is ready
rule-remote-id-stale = the Remote ID module's last status is { $age } s old (limit { $limit } s): the module is silent
rule-remote-id-not-ready = the Remote ID module is not ready to arm: { $why }
rule-patrol-finding = { $reason }
map-hotspot = { $id } ± { $error } m
map-traffic = { $name } { $alt } ft
inst-signing = Signing
inst-signed = link signed
inst-keyed-unsigned = key installed, frames NOT signed
inst-unsigned = link NOT signed
inst-remote-id = Remote ID
inst-remote-id-none = no Remote ID heard
inst-remote-id-ready = module ready
inst-remote-id-heard = heard, module state unknown
inst-traffic = Manned traffic
rule-remote-id-wrong-operator = the Remote ID broadcasts operator { $broadcast }, not ours ({ $expected })
rule-remote-id-no-operator = the Remote ID broadcasts no operator number; it must broadcast { $expected }
event-video-lost = { $who }: video { $stream } lost ({ $reason })
event-video-regained = { $who }: video { $stream } back
event-video-announced = { $who }: receiving the video { $stream } it announces, { $source }
event-video-unusable = { $who }: the video { $stream } it announces is not received: { $reason }
event-recording-stopped = { $who }: video { $stream } NO LONGER RECORDED: { $reason }
alarm-video-lost = video lost
alarm-recording-stopped = video recording stopped
csu-title = Vigie — CSU
csu-operator = operator { $name }
csu-read-only = READ ONLY: no drone command from this post
csu-grid = Grid
csu-drones = Drones ({ $n })
csu-drone = drone { $id }
csu-alt = { $alt } m above home
csu-flight = flight { $id }
csu-no-position = no position
csu-telemetry-lost = TELEMETRY LOST for { $age } s
csu-no-telemetry = no drone heard ({ $frames } frames received): does the station forward with --csu-telemetry?
csu-no-telemetry-short = no telemetry for this stream
csu-no-stream = no stream: give --stream
event-incident = INCIDENT { $id } ({ $source }): { $kind } { $note }
event-incident-airborne = incident { $id }: a drone airborne { $after } s after the alert
event-incident-on-scene = incident { $id }: a drone on scene { $after } s after the alert
map-incident = { $kind } ({ $id })
btn-go-incident = GO TO THE INCIDENT — { $vehicle }
fly-incidents = Incidents reported
fly-incident-line = { $kind } — { $source }, { $age } min ago
event-domicile = { $who }: video flagged as showing inside a home by { $by } (kept 48 h)
video-recording = ● RECORDED with flight { $flight }
video-not-recording = ○ not recorded (no flight in progress)
btn-domicile = INSIDE A HOME: keep 48 h
btn-domicile-hint = The camera saw inside a home: the segment being recorded is erased after 48 h (R242-11 II)
csu-incident = REPORT AN INCIDENT TO THE PILOT
csu-incident-place = Click the map where the incident is
csu-incident-at = Incident at { $lat } N { $lon } E
csu-incident-kind = Kind
csu-incident-note = Details
csu-incident-send = SEND TO THE PILOT
csu-incident-sent = incident { $id } sent to the pilot
csu-incident-refused = incident NOT sent: { $why }
video-visible = VISIBLE
video-thermal = THERMAL
