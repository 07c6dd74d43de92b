//! Pipelines are built element by element, every value set as a typed property: nothing from a
//! URI, a name or a file is ever parsed as pipeline syntax (a crafted URI cannot add elements).
//! Property setting is checked against the element's own description, so a wrong name or type
//! is an error, never a panic.

use gstreamer as gst;
use gstreamer::glib;
use gstreamer::prelude::*;

use crate::error::{Result, VideoError};

/// A property value; numbers are converted to whatever integer type the property has.
pub(crate) enum P<'a> {
    Int(i64),
    Bool(bool),
    Str(&'a str),
    /// An enum or flags value by its nick (`downstream`, `slice`, `tcp+udp`…).
    Nick(&'a str),
    Value(glib::Value),
}

/// Create `factory` named `name` with `props`.
pub(crate) fn make(factory: &str, name: &str, props: &[(&str, P)]) -> Result<gst::Element> {
    let element = gst::ElementFactory::make(factory)
        .name(name)
        .build()
        .map_err(|e| VideoError::pipeline(name, format!("cannot create `{factory}`: {e}")))?;
    for (prop, value) in props {
        set(&element, prop, value)?;
    }
    Ok(element)
}

/// Set one property, checking that it exists, is writable and takes this kind of value.
pub(crate) fn set(object: &impl IsA<glib::Object>, prop: &str, value: &P) -> Result<()> {
    let object = object.upcast_ref::<glib::Object>();
    let who = object
        .downcast_ref::<gst::Object>()
        .map(|o| o.name().to_string())
        .unwrap_or_else(|| object.type_().name().to_owned());
    let bad = |reason: &str| VideoError::pipeline(&who, format!("property `{prop}`: {reason}"));
    let Some(pspec) = object.find_property(prop) else {
        return Err(bad("no such property"));
    };
    if !pspec.flags().contains(glib::ParamFlags::WRITABLE) {
        return Err(bad("not writable"));
    }
    let ty = pspec.value_type();
    let v: glib::Value = match value {
        P::Int(n) => int_value(ty, *n).ok_or_else(|| bad(&format!("{n} does not fit {ty}")))?,
        P::Bool(b) => b.to_value(),
        P::Str(s) => s.to_value(),
        P::Nick(nick) => nick_value(ty, nick).ok_or_else(|| bad(&format!("no value `{nick}`")))?,
        P::Value(v) => v.clone(),
    };
    if !v.type_().is_a(ty) {
        return Err(bad(&format!("takes {ty}, not {}", v.type_())));
    }
    object.set_property_from_value(prop, &v);
    Ok(())
}

fn int_value(ty: glib::Type, n: i64) -> Option<glib::Value> {
    Some(if ty == glib::Type::I32 {
        i32::try_from(n).ok()?.to_value()
    } else if ty == glib::Type::U32 {
        u32::try_from(n).ok()?.to_value()
    } else if ty == glib::Type::I64 {
        n.to_value()
    } else if ty == glib::Type::U64 {
        u64::try_from(n).ok()?.to_value()
    } else if ty == glib::Type::I_LONG {
        glib::ILong(n).to_value()
    } else if ty == glib::Type::U_LONG {
        glib::ULong(n.try_into().ok()?).to_value()
    } else if ty.is_a(glib::Type::ENUM) {
        let class = glib::EnumClass::with_type(ty)?;
        class.to_value(i32::try_from(n).ok()?)?
    } else {
        return None;
    })
}

fn nick_value(ty: glib::Type, nick: &str) -> Option<glib::Value> {
    if ty.is_a(glib::Type::ENUM) {
        glib::EnumClass::with_type(ty)?.to_value_by_nick(nick)
    } else if ty.is_a(glib::Type::FLAGS) {
        let class = glib::FlagsClass::with_type(ty)?;
        let mut builder = class.builder();
        for part in nick.split('+') {
            builder = builder.set_by_nick(part);
        }
        builder.build()
    } else {
        None
    }
}

/// Whether `object` has the signal `name` (connecting to a missing one would panic).
pub(crate) fn has_signal(object: &impl IsA<glib::Object>, name: &str) -> bool {
    glib::subclass::signal::SignalId::lookup(name, object.as_ref().type_()).is_some()
}

/// Add every element to the bin.
pub(crate) fn add(bin: &gst::Bin, elements: &[&gst::Element]) -> Result<()> {
    bin.add_many(elements.iter().copied())
        .map_err(|e| VideoError::pipeline(&bin.name(), e))
}

/// Link a chain of elements in order.
pub(crate) fn link(chain: &[&gst::Element]) -> Result<()> {
    for pair in chain.windows(2) {
        let [a, b] = pair else { continue };
        a.link(*b).map_err(|e| {
            VideoError::pipeline(&a.name(), format!("cannot link to `{}`: {e}", b.name()))
        })?;
    }
    Ok(())
}

/// A capsfilter named `name` holding `caps` (built from typed fields, not parsed from input).
pub(crate) fn capsfilter(name: &str, caps: gst::Caps) -> Result<gst::Element> {
    make("capsfilter", name, &[("caps", P::Value(caps.to_value()))])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn properties_are_set_by_type_and_bad_ones_are_errors_not_panics() {
        crate::init().unwrap();
        let q = make(
            "queue",
            "q",
            &[
                ("max-size-buffers", P::Int(0)),
                ("max-size-time", P::Int(500_000_000)),
                ("leaky", P::Nick("downstream")),
            ],
        )
        .unwrap();
        assert_eq!(q.property::<u64>("max-size-time"), 500_000_000);
        for (prop, v) in [
            ("no-such-prop", P::Int(1)),
            ("max-size-buffers", P::Int(-1)),
            ("leaky", P::Nick("sideways")),
            ("max-size-time", P::Str("1")),
        ] {
            let e = set(&q, prop, &v).unwrap_err().to_string();
            assert!(e.contains(prop), "{e}");
        }
        let src = make("rtspsrc", "r", &[("protocols", P::Nick("tcp"))]).unwrap();
        let _ = src;
        assert!(make("no-such-element", "x", &[]).is_err());
    }
}
