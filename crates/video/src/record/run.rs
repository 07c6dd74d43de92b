//! One recording run: `appsrc ! parse ! splitmuxsink(matroskamux)`, from the first keyframe after
//! a (re)start to an outage, a caps change or the end. A session (flight) is one or more runs;
//! each run one or more segments, cut on keyframes by splitmuxsink.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use gstreamer as gst;
use gstreamer::prelude::*;
use gstreamer_app as gst_app;

use super::naming::{Naming, Place};
use crate::elements::{P, add, link, make};
use crate::error::{Result, VideoError};
use crate::uri::Codec;

pub(crate) struct Run {
    pub(crate) pipeline: gst::Pipeline,
    pub(crate) appsrc: gst_app::AppSrc,
    pub(crate) sink: gst::Element,
    /// Where splitmuxsink asked to write, by `.part` path (filled by `format-location`).
    pub(crate) places: Arc<Mutex<HashMap<PathBuf, Place>>>,
}

pub(crate) fn build(
    stream: &str,
    codec: Codec,
    segment: Duration,
    serial: u32,
    naming: Arc<Naming>,
) -> Result<Run> {
    let name = format!("{stream}-record-{serial}");
    let el = |role: &str| format!("{stream}-rec-{role}");
    let pipeline = gst::Pipeline::with_name(&name);
    let src = make("appsrc", &el("src"), &[])?;
    let parse = make(codec.parse(), &el("parse"), &[])?;
    let mux = make("matroskamux", &el("mux"), &[])?;
    let sink = make(
        "splitmuxsink",
        &el("sink"),
        &[
            ("muxer", P::Value(mux.to_value())),
            (
                "max-size-time",
                P::Int(i64::try_from(segment.as_nanos()).unwrap_or(i64::MAX)),
            ),
            ("max-size-bytes", P::Int(0)),
        ],
    )?;
    add(pipeline.upcast_ref(), &[&src, &parse, &sink])?;
    link(&[&src, &parse, &sink])?;
    let places: Arc<Mutex<HashMap<PathBuf, Place>>> = Arc::default();
    {
        let places = places.clone();
        sink.connect("format-location", false, move |_| {
            let place = naming.next()?;
            let location = place.part.to_str()?.to_owned();
            if let Ok(mut p) = places.lock() {
                p.insert(place.part.clone(), place);
            }
            Some(location.to_value())
        });
    }
    let appsrc = src
        .downcast::<gst_app::AppSrc>()
        .map_err(|_| VideoError::pipeline(&name, "appsrc is not an appsrc"))?;
    appsrc.set_is_live(true);
    appsrc.set_format(gst::Format::Time);
    // The gate stamps every buffer with its arrival: no do-timestamp.
    appsrc.set_do_timestamp(false);
    appsrc.set_max_buffers(120);
    appsrc.set_leaky_type(gst_app::AppLeakyType::Downstream);
    appsrc.set_property("block", false);
    Ok(Run {
        pipeline,
        appsrc,
        sink,
        places,
    })
}

impl Run {
    /// Close the segment in progress at the next keyframe and go on in a new one.
    pub(crate) fn split(&self) {
        self.sink.emit_by_name::<()>("split-after", &[]);
    }
}
