#!/bin/sh
# Rebuild the offline basemap shipped in assets/basemap/ (Istres and the Étang de Berre).
#
# Source: commune boundaries of the Bouches-du-Rhône, IGN Admin Express COG 2018 under the
# Licence Ouverte (Etalab), simplified to GeoJSON by the france-geojson project
# (departements/13-bouches-du-rhone/communes-13-bouches-du-rhone.geojson). The subset used is
# committed as assets/basemap/source/communes.geojson, so the build needs no network.
# Give another file as $1 to rebuild from a newer edition.
set -eu
cd "$(dirname "$0")/.."
src="${1:-assets/basemap/source/communes.geojson}"
cargo run --example build_basemap -- "$src" \
    assets/basemap/istres-berre.mbtiles assets/basemap/places.geojson
ls -l assets/basemap/
