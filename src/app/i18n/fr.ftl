# Vigie — catalogue français (langue par défaut). Chaque clé existe aussi dans en.ftl
# (un test échoue sinon). Les variables s'écrivent { $nom }.

## Général
none = aucun
the-station = la station
vehicle-name = Drone { $id }
no-vehicle = Aucun drone connecté
no-vehicle-short = aucun drone
no-verdict-yet = verdict pré-vol pas encore calculé
station-busy = La station est occupée : commande non envoyée, appuyez à nouveau.
training-badge = ENTRAÎNEMENT — hors registre légal
top-session = Pilote : { $pilot } · Arrêté : { $arrete }
screen-fly = VOL
screen-plan = PLAN
screen-register = REGISTRE
screen-session = SESSION
screen-settings = RÉGLAGES
armed = ARMÉ
disarmed = désarmé
link-lost = LIAISON PERDUE
link-up = liaison active
link-down = liaison coupée

## Alarmes
alarm-critical = ALARME
alarm-warning = ATTENTION
alarm-acknowledge = ACQUITTER
alarm-line = { $who } : { $what }
alarm-link-lost = liaison perdue
alarm-fence-breach = SORTIE DE GÉOBARRIÈRE
alarm-in-flight = règle { $rule } en vol
alarm-vehicle-warning = le drone signale : { $detail }
alarm-register-fault = défaut du registre légal
alarm-signing-rejected = trames rejetées (signature MAVLink)
level-alarm = ALARME
level-warning = ATTENTION
level-info = ·

## Pré-vol et commandes
go = GO
go-with-warnings = GO (avec réserves)
no-go = NO-GO
already-armed = déjà armé
in-flight = En vol
btn-arm = ARMER — { $vehicle }
btn-takeoff = DÉCOLLER — { $vehicle } à { $alt } m
btn-rtl = RETOUR (RTL) — { $vehicle }
btn-land = ATTERRIR — { $vehicle }
btn-brake = FREIN (BRAKE) — { $vehicle }
btn-fence = GÉOBARRIÈRE — { $vehicle }
btn-fence-hint = Calculer, téléverser, relire et activer la géobarrière
btn-start-mission = LANCER LA MISSION — { $vehicle }
btn-altitude = CHANGER D'ALTITUDE — { $vehicle }
btn-rtl-all = RETOUR (RTL) — TOUS LES DRONES
btn-go-here = ALLER ICI — { $vehicle }
btn-orbit-here = ORBITER ICI — { $vehicle }
btn-clear-target = Effacer la cible
btn-confirm = CONFIRMER
btn-cancel = ANNULER
target-hint = Touchez la carte pour choisir une cible (aller ici, orbiter ici).
target-at = Cible : { $at }
confirm-go-here = { $vehicle } va à la cible, à { $alt } m au-dessus du départ ?
confirm-orbit = { $vehicle } orbite autour de la cible, rayon { $radius } m, à { $alt } m ?
confirm-rtl-all = Retour au départ (RTL) de { $vehicles } ?

## Instruments
inst-mode = Mode
inst-height = Hauteur (/ départ)
inst-amsl = Altitude (mer)
inst-speed = Vitesse sol
inst-heading = Cap
inst-battery = Batterie (reste, vent compris)
inst-minutes-left = { $min } min
inst-gps = GPS
inst-link = Liaison
inst-link-ok = ✔ dernier battement il y a { $age } s
inst-flight-time = Temps de vol
inst-home-distance = Distance au départ
inst-fence = Géobarrière
fence-active = chargée et active
fence-loaded-off = chargée, NON active
fence-not-loaded = non chargée
fence-breach = SORTIE DE GÉOBARRIÈRE

## Vent
wind-gauge = Vent (limite de décollage)
wind-no-reading = aucune mesure fraîche
wind-no-source = aucune source de vent : décollage refusé
wind-source-line = { $source } : { $wind } km/h, il y a { $age } s
wind-status-ok = sous la limite
wind-status-warn = proche de la limite
wind-status-above = au-dessus de la limite
wind-status-hysteresis = de retour sous la limite depuis peu
wind-status-no-fresh = aucune source fraîche

## Carte
map-follow-on = Suivre le drone : OUI
map-follow-off = Suivre le drone : NON
map-perimeter = Périmètre autorisé : { $name }
map-perimeter-edge = le bord du périmètre
map-breach = SORTIE : { $what } dans { $seconds } s
map-tiles-problem = Fond de carte : { $detail }
zone-prohibited = INTERDITE
zone-auth-required = AUTORISATION REQUISE
zone-conditional = CONDITIONNELLE
zone-none = sans restriction

## Vidéo
video-full = Plein écran
video-exit-full = Quitter le plein écran
video-waiting = en attente de la vidéo…
video-frozen = IMAGE FIGÉE
video-none = pas de flux vidéo
video-health = { $w }×{ $h } · { $dropped } images perdues · dernière il y a { $age } s
video-health-slot = { $w }×{ $h } · dernière image il y a { $age } s

## Événements
event-connected = { $who } connecté
event-link-lost = { $who } : liaison perdue
event-link-regained = { $who } : liaison rétablie
event-link-up = liaison { $link } active ({ $detail })
event-link-down = liaison { $link } coupée : { $reason }
event-armed = { $who } armé
event-disarmed = { $who } désarmé
event-mode = { $who } en mode { $mode }
event-vehicle-said = { $who } dit : { $text }
event-autopilot-ready = { $who } : autopilote prêt à armer
event-autopilot-not-ready = { $who } : autopilote pas prêt à armer
event-mission-item = { $who } a atteint le point { $n }
event-fence-breach = { $who } : SORTIE DE GÉOBARRIÈRE
event-fence-cleared = { $who } : de retour dans la géobarrière
event-refused = { $request } refusé pour { $who } : { $reasons }
event-commanded = { $request } → { $who } : { $result }
event-request-failed = { $request } pour { $who } a échoué : { $failure }
event-fence-uploaded = { $who } : géobarrière de { $items } éléments téléversée, relue identique, active
event-fence-uploaded-not-enabled = { $who } : géobarrière de { $items } éléments téléversée, relue identique, NON active
event-mission-uploaded = { $who } : mission de { $items } éléments téléversée, relue identique
event-wind-gate = barrière de vent : { $status }, { $wind } (limite { $limit } km/h)
event-in-flight = { $who } : { $reasons }
event-flight-opened = { $who } : vol { $flight } ouvert au registre
event-flight-sealed = { $who } : vol { $flight } scellé et signé
event-register-fault = registre : { $what }
event-signing-rejected = { $who } : trames rejetées sur { $link } : { $why }
event-command-dropped = { $message } ignoré, reçu de la sortie en lecture seule { $link }

## Demandes, résultats, échecs
request-arm = armement
request-arm-in-guided = armement (GUIDED)
request-arm-and-takeoff = armement et décollage
request-takeoff = décollage
request-disarm = désarmement
request-go-to = aller à
request-orbit = orbite
request-change-altitude = changement d'altitude
request-set-mode = changement de mode
request-rtl = retour (RTL)
request-land = atterrissage
request-brake = frein
request-upload-fence = téléversement de la géobarrière
request-upload-mission = téléversement de la mission
request-start-mission = lancement de la mission
result-accepted = accepté
result-temporarily-rejected = refusé pour l'instant
result-denied = refusé
result-unsupported = non pris en charge
result-failed = échec
result-cancelled = annulé
result-no-ack = pas de réponse
failure-vehicle-unknown = { $vehicle } n'est pas connecté
failure-vehicle-answered = le drone a répondu : { $result }
failure-link = liaison : { $detail }
failure-no-authorisation = aucun arrêté choisi : la géobarrière a besoin de son périmètre
failure-fence = géobarrière impossible : { $detail }
failure-read-back = la relecture diffère de l'envoi : { $detail }
failure-preempted = interrompu par une commande de sécurité ({ $request })
failure-superseded = remplacé par une demande plus récente ({ $request })
failure-busy = un téléversement est déjà en cours sur ce drone
failure-no-mission = aucune mission téléversée
failure-unknown-alarm = alarme inconnue
failure-stopped = la station est arrêtée

failure-login-refused = connexion refusée : { $reason }
failure-login-locked = connexion refusée : { $reason } ; compte bloqué jusqu'au { $until }
failure-unknown-authorisation = aucun arrêté { $arrete } dans la session : importez-le d'abord
failure-bad-authorisation = arrêté illisible : { $detail }
failure-in-flight = vol en cours : { $request } impossible tant qu'un drone est armé
event-automatic-action = { $who } : { $action } automatique (règle { $rule })
event-logged-in = pilote { $pilot } connecté
event-login-refused = connexion du pilote { $pilot } refusée : { $reason }
event-logged-out = pilote { $pilot } déconnecté
event-authorisation-ending = l'arrêté { $arrete } prend fin dans { $minutes } min
event-authorisation-selected = arrêté { $arrete } choisi
event-metar = METAR reçu : { $raw }
event-feed-up = source { $feed } active ({ $detail })
event-feed-fault = source { $feed } en défaut : { $reason }
alarm-authorisation-ending = l'arrêté prend fin dans { $minutes } min : prévoyez l'atterrissage
alarm-feed = source { $feed } en défaut
request-login = connexion
request-logout = déconnexion
request-select-authorisation = choix de l'arrêté
request-import-authorisation = import de l'arrêté

## Session
session-title = Session
session-training-note = Vol d'entraînement : les règles pilote informent sans bloquer ; rien n'entre au registre légal.
session-pilot = Pilote
session-arrete = Arrêté préfectoral
session-finalite = Finalité
session-validity = Validité
session-validity-range = du { $from } au { $until }
session-issuer = Autorité
session-login = Connexion du pilote
session-pilot-id = Identifiant
session-pin = Code (PIN)
btn-login = SE CONNECTER
btn-logout = SE DÉCONNECTER
session-logged-in = { $pilot } est connecté
session-locked = compte bloqué jusqu'au { $until } après des codes erronés
session-authorisations = Arrêtés préfectoraux
auth-revoked = abrogé
auth-valid-now = valide maintenant
auth-not-valid-now = hors de sa période de validité
auth-selected = choisi
btn-select = CHOISIR
session-import-path = Fichier d'arrêté (TOML)
btn-import-authorisation = IMPORTER L'ARRÊTÉ
checklist-title = Liste de contrôle pré-vol
checklist-ticked = coché
checklist-to-tick = à cocher
checklist-auto = (automatique : selon les règles)

## Plan
plan-title = Plan de mission
plan-click-does = Un appui sur la carte ajoute :
tool-waypoint = Point de passage
tool-loiter = Attente
tool-roi = Point d'intérêt (caméra)
tool-polygon = Sommet de polygone
tool-home = Point de départ
plan-default-alt = Altitude
plan-loiter-time = Attente
plan-polygon = Polygone : { $n } sommets
plan-patrol-offset = Retrait
btn-patrol = PATROUILLE DE PÉRIMÈTRE
plan-patrol-too-narrow = Polygone trop étroit pour ce retrait.
plan-survey-spacing = Espacement
plan-survey-heading = Cap
btn-survey = QUADRILLAGE
btn-clear-polygon = Effacer le polygone
plan-generated = { $n } points ajoutés
btn-remove = Supprimer
btn-add-rtl = + Retour (RTL)
btn-clear-plan = Tout effacer
item-takeoff = Décollage
item-waypoint = Point
item-loiter = Attente
item-land = Atterrissage
item-rtl = Retour (RTL)
item-roi = Point d'intérêt
item-other = Commande { $command }
plan-valid = PLAN VALIDE
plan-valid-warnings = PLAN VALIDE (avec réserves)
plan-refused = PLAN REFUSÉ
plan-file = Fichier .plan (QGroundControl)
btn-import = IMPORTER
btn-export = EXPORTER
plan-imported = { $n } éléments importés
plan-exported = Plan écrit : { $path }
btn-upload = TÉLÉVERSER — { $vehicle }
plan-upload-sent = Mission envoyée à la station (jugée à nouveau avant l'envoi au drone).
plan-upload-refused = les règles refusent ce plan : corrigez les tronçons en rouge
plan-drag-hint = Glisser pour déplacer

## Registre
desk-title = Registre des vols
desk-actor = Identifiant de l'agent
desk-actor-name = Nom
desk-role = Fonction
desk-motive = Motif (judiciaire, administratif, disciplinaire, formation) et référence
desk-training-register = Registre d'entraînement
desk-from = Du (AAAA-MM-JJ)
desk-to = Au (AAAA-MM-JJ)
desk-pilot = Pilote
desk-arrete = Arrêté
desk-hold-only = Seulement les vols sous conservation judiciaire
desk-search = RECHERCHER
desk-who-needed = Qui consulte et pourquoi : obligatoire (R242-12), chaque lecture est journalisée.
desk-busy = { $what } en cours… ({ $s } s)
desk-flights = { $n } vols
desk-col-start = Début
desk-col-pilot = Pilote
desk-col-arrete = Arrêté
desk-col-place = Lieu
desk-col-state = État
desk-sealed = scellé
desk-open = ouvert
desk-on-hold = conservé
desk-open-flight = Ouvrir
desk-flight = Vol { $id }
desk-flight-line = Pilote { $pilot } · aéronef { $aircraft } · arrêté { $arrete } · { $place } · début { $start }
desk-seal = Fin { $end } · { $km } km · hauteur max { $alt } m
desk-hold-line = conservation : procédure { $reference }, par { $by }
desk-counts = { $events } événements · { $refusals } refus · { $segments } segments vidéo · { $viewers } consultations
desk-domicile = (intérieur de domicile : effacé à 48 h)
desk-segment-erased = segment effacé (purge légale)
desk-recipient = Destinataire de l'export
desk-out-dir = Dossier d'export
desk-export = EXPORTER LE DOSSIER DE PREUVE
desk-replay = REJOUER (Rerun)
desk-procedure = Référence de procédure
desk-place-hold = PLACER SOUS CONSERVATION
desk-release-hold = LEVER LA CONSERVATION
desk-rerun-missing = Le visualiseur Rerun n'est pas installé : pip install rerun-sdk==0.36.3 (ou VIGIE_RERUN=chemin).

desk-filters = Filtres (dates, pilote, arrêté, conservation)

## Réglages
settings-title = Réglages
settings-lang = Langue
settings-theme = Thème
theme-day = Jour (plein soleil)
theme-night = Nuit
settings-follow = Carte
settings-follow-hint = suivre le drone choisi
settings-takeoff-alt = Hauteur de décollage
settings-orbit-radius = Rayon d'orbite
settings-alarm-sound = Son des alarmes
settings-online-url = Fond de carte en ligne (XYZ/WMTS, {"{"}z{"}"} {"{"}x{"}"} {"{"}y{"}"})
settings-online-attribution = Attribution du fond en ligne
settings-offline-path = Fond hors ligne (MBTiles ou dossier)
settings-offline-attribution = Attribution du fond hors ligne
settings-tiles-hint = Sans fond configuré, la carte d'Istres et de l'étang de Berre livrée avec Vigie est utilisée (aucun réseau).
settings-save = ENREGISTRER
settings-revert = ANNULER
settings-saved = Réglages enregistrés.
settings-bad-url = L'adresse du fond en ligne doit contenir {"{"}z{"}"}, {"{"}x{"}"} et {"{"}y{"}"}.

## Règles de vol (flight_rules : clé stable et paramètres)
rule-how-inside = est dans
rule-how-maybe-inside = est peut-être dans (position ou altitude incertaine)
rule-what-takeoff-point = Le point de décollage
rule-what-vehicle-position = La position du drone
rule-what-vehicle = Le drone
rule-what-leg-to-item = Le tronçon vers le point { $seq }
rule-what-leg = Le tronçon { $n }
rule-what-target-altitude = L'altitude visée
rule-what-current-altitude = L'altitude actuelle
rule-what-takeoff-altitude = La hauteur de décollage
rule-what-point = Le point
rule-alt-agl = { $m } m sol
rule-alt-amsl = { $m } m mer
rule-alt-wgs84 = { $m } m (WGS84)
rule-alt-rel-home = { $m } m au-dessus du départ
rule-zone-prohibited = { $what } { $how } la zone INTERDITE { $zone } « { $name } »{ $message ->
    [none] {""}
   *[other] {" "}— { $message }
    }
rule-zone-auth-covered = { $what } { $how } la zone { $zone } « { $name } », couverte par l'arrêté { $arrete }
rule-zone-auth-required = { $what } { $how } la zone { $zone } « { $name } », qui exige une autorisation la nommant{ $message ->
    [none] {""}
   *[other] {" "}— { $message }
    }
rule-zone-conditional = { $what } { $how } la zone conditionnelle { $zone } « { $name } »{ $message ->
    [none] {""}
   *[other] {" "}— { $message }
    }
rule-pilot-training = vol d'entraînement : les règles pilote ne bloquent pas
rule-pilot-missing = aucun pilote connecté{ $training ->
    [yes] {" "}(entraînement : non bloquant)
   *[no] {""}
    }
rule-pilot-cert-expired = le certificat { $cert } de { $pilot } a expiré le { $date }{ $training ->
    [yes] {" "}(entraînement : non bloquant)
   *[no] {""}
    }
rule-pilot-unqualified = { $pilot } n'est pas qualifié sur « { $airframe } » (qualifié : { $qualified }){ $training ->
    [yes] {" "}(entraînement : non bloquant)
   *[no] {""}
    }
rule-pilot-airframe-unknown = type d'aéronef inconnu : qualification invérifiable{ $training ->
    [yes] {" "}(entraînement : non bloquant)
   *[no] {""}
    }
rule-pilot-not-current = { $pilot } a volé pour la dernière fois le { $date } : pas à jour (un vol dans les { $days } jours est exigé){ $training ->
    [yes] {" "}(entraînement : non bloquant)
   *[no] {""}
    }
rule-pilot-no-flight = aucun vol enregistré pour { $pilot } : récence inconnue{ $training ->
    [yes] {" "}(entraînement : non bloquant)
   *[no] {""}
    }
rule-auth-missing = aucun arrêté préfectoral choisi (L242-5)
rule-auth-revoked = l'arrêté { $arrete } a été abrogé
rule-auth-not-yet = l'arrêté { $arrete } n'est valide qu'à partir du { $from }
rule-auth-expired = l'arrêté { $arrete } a expiré le { $until }
rule-auth-ends-mid-flight = l'arrêté { $arrete } prend fin le { $until }, en plein vol : la mission durerait jusqu'au { $end }
rule-auth-revoked-before-end = l'arrêté { $arrete } est abrogé à partir du { $at }, avant la fin de la mission
rule-auth-ends-soon = l'arrêté { $arrete } prend fin dans { $minutes } min, le { $until } : prévoyez l'atterrissage
rule-auth-cameras = { $n } caméras en service, l'arrêté { $arrete } en autorise { $max } à la fois
rule-auth-duration = l'arrêté { $arrete } vaut { $days } jours, plus que les { $max } jours permis (L242-5)
rule-perimeter-leg-leaves = { $what } ({ $from } → { $to }) sort du périmètre autorisé
rule-perimeter-leg-edge = { $what } ({ $from } → { $to }) passe trop près du bord du périmètre autorisé
rule-perimeter-point-outside = { $what } ({ $point }) est hors du périmètre de l'arrêté { $arrete }
rule-perimeter-point-edge = { $what } ({ $point }) est trop près du bord du périmètre de l'arrêté { $arrete }
rule-perimeter-vehicle-outside = le drone ({ $point }) est hors du périmètre de l'arrêté { $arrete }
rule-takeoff-point-unknown = point de décollage inconnu (pas de position fraîche) : zones et périmètre invérifiables
rule-ceiling-above = { $what } ({ $alt }) dépasse le plafond de { $ceiling } m sol
rule-ceiling-may-exceed = { $what } ({ $alt }) peut dépasser le plafond de { $ceiling } m sol (hauteur sol entre { $lo } et { $hi } m)
rule-ceiling-invalid-takeoff = hauteur de décollage { $alt } m invalide
rule-route-position-unknown = position actuelle inconnue ou périmée : trajet invérifiable
rule-and-more = { $inner } (et { $count } autres)
rule-mission-none = aucune mission chargée
rule-mission-home-unknown = point de départ inconnu : trajet de la mission invérifiable
rule-mission-no-altitude = les éléments { $items } n'ont pas de référence d'altitude utilisable
rule-mission-no-navigation = la mission n'a aucun point de navigation
rule-wind-no-fresh = aucune mesure de vent fraîche ({ $stale } périmées) : vent inconnu
rule-wind-above-takeoff-limit = vent { $wind } km/h ({ $source }) au-dessus de la limite de décollage de { $limit } km/h
rule-wind-above-limit-rtl = vent { $wind } km/h ({ $source }) au-dessus de la limite de { $limit } km/h : retour (RTL) recommandé
rule-wind-hysteresis = vent { $wind } km/h ({ $source }) repassé sous { $limit } km/h depuis peu : attendre qu'il se stabilise
rule-wind-warn = vent { $wind } km/h ({ $source }) au-dessus de { $percent } % de la limite de { $limit } km/h
rule-source-anemometer = anémomètre
rule-source-metar = METAR
rule-source-vehicle = estimation du drone
rule-vehicle-unknown = aucun drone connecté
rule-vehicle-prearm-not-ready = l'autopilote n'est pas prêt à armer{ $reasons ->
    [none] {""}
   *[other] {" "}: { $reasons }
    }
rule-vehicle-prearm-unknown = l'autopilote ne signale pas ses contrôles pré-armement ; il les fera à l'armement{ $reasons ->
    [none] {""}
   *[other] {" "}: { $reasons }
    }
rule-vehicle-gps-fix = GPS : fix { $fix } avec { $sats } satellites (il faut fix ≥ { $min_fix } et ≥ { $min_sats } satellites)
rule-vehicle-position-old = position vieille de { $age } s (limite { $limit } s)
rule-vehicle-no-position = aucune position du drone
rule-vehicle-home-unset = point de départ (home) non défini
rule-vehicle-fence-not-loaded = géobarrière embarquée non chargée
rule-vehicle-fence-not-enabled = géobarrière chargée mais non activée (FENCE_ENABLE)
rule-vehicle-battery-unknown = niveau de batterie inconnu
rule-vehicle-battery-low = batterie à { $pct } %, sous les { $needed } % nécessaires (mission, vent et { $reserve } % de réserve)
rule-checklist-incomplete = liste de contrôle incomplète : { $items }
rule-battery-return-now = batterie à { $pct } % : la réserve pour rentrer contre le vent est atteinte ({ $needed } % nécessaires) : rentrez maintenant
rule-battery-return-soon = batterie à { $pct } % : { $needed } % sont nécessaires pour rentrer contre le vent avec la réserve
rule-gps-degraded = GPS dégradé : fix { $fix } avec { $sats } satellites (il faut fix ≥ { $min_fix } et ≥ { $min_sats })
rule-monitor-no-position = aucune position fraîche du drone
rule-breach-zone = la zone { $zone } « { $name } » est à { $distance } m
rule-breach-zone-soon = la zone { $zone } « { $name } » est à { $distance } m, atteinte dans { $seconds } s environ
rule-breach-perimeter = le bord du périmètre est à { $distance } m
rule-breach-perimeter-soon = le bord du périmètre est à { $distance } m, atteint dans { $seconds } s environ
rule-traffic-own-unknown = position du drone inconnue : { $n } aéronefs habités entendus à proximité ne peuvent être jugés
rule-traffic-takeoff = { $traffic } dans le rayon de décollage de { $radius } m / { $height } ft : attendre qu'il s'éloigne
rule-traffic-inflight = { $traffic } à moins de { $radius } m et { $height } ft du drone
rule-traffic-above = trafic habité { $label } à { $distance } m, { $ft } ft au-dessus{ $ground ->
    [yes] , au sol
   *[no] {""}
} (position vieille de { $age } s)
rule-traffic-below = trafic habité { $label } à { $distance } m, { $ft } ft au-dessous{ $ground ->
    [yes] , au sol
   *[no] {""}
} (position vieille de { $age } s)
rule-traffic-amsl = trafic habité { $label } à { $distance } m, vers { $ft } ft mer{ $ground ->
    [yes] , au sol
   *[no] {""}
} (position vieille de { $age } s)
rule-traffic-unknown-height = trafic habité { $label } à { $distance } m, hauteur inconnue{ $ground ->
    [yes] , au sol
   *[no] {""}
} (position vieille de { $age } s)
rule-legal-training-plain = vol d'entraînement : aviation ordinaire (aucune donnée personnelle, aucun enregistrement conservé)
rule-legal-missing = aucune base légale choisie pour ce vol (CSI L242, prévention des risques naturels, aviation ordinaire…)
rule-legal-training-personal = les vols d'entraînement relèvent de l'aviation ordinaire, pas de { $basis }
rule-legal-purpose = la finalité « { $purpose } » n'est pas permise par { $basis } ({ $title }) ; permises : { $allowed }
rule-legal-document = { $basis } exige { $label } (« { $kind } ») : aucun fourni
rule-legal-emergency = { $basis } ne prévoit pas de procédure d'urgence : autorisation et information du public d'abord
rule-legal-finalite = la finalité « { $purpose } » diffère de celle de l'arrêté { $arrete } (« { $finalite } »)
rule-point-ceiling-above = { $alt } m sol dépasse le plafond de { $ceiling } m sol
rule-point-perimeter-outside = le point est hors du périmètre de l'arrêté { $arrete }
rule-point-perimeter-edge = le point est trop près du bord du périmètre de l'arrêté { $arrete }
rule-point-auth-window = l'arrêté { $arrete } n'est pas en vigueur à cette heure
event-flight-resumed = { $who } : vol { $flight } repris après { $gap } s sans station
event-flight-left-open-stopped = vol { $flight } laissé ouvert par l'arrêt précédent de la station
event-flight-left-open-killed = vol { $flight } laissé ouvert : la station précédente a été tuée
event-flight-ended-while-away = { $who } : vol { $flight } terminé pendant l'absence de la station ({ $report })
event-flight-interrupted = { $who } : station arrêtée, vol { $flight } laissé ouvert
event-flight-interrupted-airborne = { $who } : station arrêtée EN VOL, vol { $flight } laissé ouvert ; failsafe du drone : { $failsafe }
event-read-back-matches = { $who } : { $what } à bord identique au registre
event-read-back-differs = { $who } : { $what } à bord DIFFÉRENT du registre
event-checklist-completed = liste de vérification complète
event-took-off = { $who } a décollé
event-landed = { $who } posé et désarmé, batterie { $battery } %
event-alarm-cleared = { $who } : alarme levée ({ $what })
event-alarm-acknowledged = { $who } : alarme acquittée par { $by }
event-breach-predicted = { $who } : sortie prévue de { $what } dans { $seconds } s ({ $metres } m)
event-hotspot = { $who } : point chaud { $id } ± { $error } m ({ $n } observations)
failure-bad-hotspot = point chaud refusé : sa position ou son erreur n'est pas un nombre
failure-unknown-hotspot = aucun point chaud { $id } dans cette patrouille
failure-nothing-recorded = rien de signalé : aucune vidéo du drone { $vehicle } n'est en cours d'enregistrement
alarm-read-back = la géobarrière ou la mission à bord diffère du registre (ou n'a pu être relue)
instructor-title = Instructeur
instructor-hint = Pannes injectées dans le simulateur, en direct
instructor-link-loss = Coupure liaison
instructor-link-ok = Liaison rétablie
instructor-gps-loss = Perte GPS
instructor-gps-ok = GPS rétabli
instructor-gust = Rafale 70 km/h
instructor-battery-drop = Batterie −30 %
instructor-video-loss = Coupure vidéo
instructor-video-ok = Vidéo rétablie
instructor-clear = Tout effacer
rule-auth-not-needed-training = vol d'entraînement en aviation générale : pas d'arrêté préfectoral nécessaire
rule-auth-not-needed-basis = pas d'arrêté préfectoral : le cadre légal { $basis } n'en exige pas
rule-link-unsigned = la liaison avec le drone n'est pas signée (signature MAVLink 2) : n'importe qui sur le réseau pourrait le commander ou falsifier sa position ; installez sa clé (vigie keys) par une liaison filaire
rule-link-signing-unknown = on ne sait pas encore si la liaison avec le drone est signée
rule-link-no-vehicle = aucun drone : sa liaison ne peut être jugée signée
rule-remote-id-no-vehicle = aucun drone : son signalement électronique ne peut être vérifié
rule-remote-id-not-heard = aucun signalement électronique (Remote ID) reçu du drone : il est exigé
rule-remote-id-no-arm-status = le module de signalement électronique n'a pas dit s'il est prêt
rule-remote-id-stale = le dernier état du module de signalement date de { $age } s (limite { $limit } s) : le module se tait
rule-remote-id-not-ready = le module de signalement électronique n'est pas prêt : { $why }
rule-patrol-finding = { $reason }
map-hotspot = { $id } ± { $error } m
map-traffic = { $name } { $alt } ft
inst-signing = Signature
inst-signed = liaison signée
inst-keyed-unsigned = clé installée, trames NON signées
inst-unsigned = liaison NON signée
inst-remote-id = Signalement
inst-remote-id-none = aucun signalement reçu
inst-remote-id-ready = module prêt
inst-remote-id-heard = reçu, état du module inconnu
inst-traffic = Trafic aérien
rule-remote-id-wrong-operator = le signalement diffuse l'exploitant { $broadcast }, pas le nôtre ({ $expected })
rule-remote-id-no-operator = le signalement ne diffuse aucun numéro d'exploitant ; il doit diffuser { $expected }
event-video-lost = { $who } : vidéo { $stream } perdue ({ $reason })
event-video-regained = { $who } : vidéo { $stream } rétablie
event-video-announced = { $who } : réception de la vidéo { $stream } qu'il annonce, { $source }
event-video-unusable = { $who } : la vidéo { $stream } qu'il annonce n'est pas reçue : { $reason }
event-recording-stopped = { $who } : vidéo { $stream } N'EST PLUS ENREGISTRÉE : { $reason }
alarm-video-lost = vidéo perdue
alarm-recording-stopped = enregistrement vidéo arrêté
csu-title = Vigie — CSU
csu-operator = opérateur { $name }
csu-read-only = LECTURE SEULE : aucune commande de drone depuis ce poste
csu-grid = Mosaïque
csu-drones = Drones ({ $n })
csu-drone = drone { $id }
csu-alt = { $alt } m sol/départ
csu-flight = vol { $id }
csu-no-position = pas de position
csu-telemetry-lost = TÉLÉMÉTRIE PERDUE depuis { $age } s
csu-no-telemetry = aucun drone entendu ({ $frames } trames reçues) : la station transmet-elle avec --csu-telemetry ?
csu-no-telemetry-short = pas de télémétrie pour ce flux
csu-no-stream = aucun flux : donnez --stream
event-incident = INCIDENT { $id } ({ $source }) : { $kind } { $note }
event-incident-airborne = incident { $id } : un drone en vol { $after } s après l'alerte
event-incident-on-scene = incident { $id } : un drone sur place { $after } s après l'alerte
map-incident = { $kind } ({ $id })
btn-go-incident = ALLER À L'INCIDENT — { $vehicle }
fly-incidents = Incidents signalés
fly-incident-line = { $kind } — { $source }, il y a { $age } min
event-domicile = { $who } : vidéo signalée comme montrant l'intérieur d'un domicile par { $by } (conservée 48 h)
video-recording = ● ENREGISTRÉE avec le vol { $flight }
video-not-recording = ○ non enregistrée (aucun vol en cours)
btn-domicile = DOMICILE FILMÉ : conserver 48 h
btn-domicile-hint = La caméra a vu l'intérieur d'un domicile : le segment en cours sera effacé après 48 h (R242-11 II)
csu-incident = SIGNALER UN INCIDENT AU PILOTE
csu-incident-place = Cliquez sur la carte à l'endroit de l'incident
csu-incident-at = Incident à { $lat } N { $lon } E
csu-incident-kind = Nature
csu-incident-note = Précisions
csu-incident-send = ENVOYER AU PILOTE
csu-incident-sent = incident { $id } transmis au pilote
csu-incident-refused = incident NON transmis : { $why }
video-visible = VISIBLE
video-thermal = THERMIQUE
