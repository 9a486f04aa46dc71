//! The whole render path on arbitrary bytes: detect the format, parse, fold, draw the SVG into
//! a `Vec`. When a graph comes out it must be well-formed XML holding only the elements
//! importflame and inferno write, one script, and no event-handler attribute but the root's
//! `onload`, and no character XML cannot hold: frame names can never become markup.
#![no_main]

use importflame::fold::{self, FoldOptions, Named};
use importflame::input::{self, ParseOptions};
use importflame::render::{self, OutputFormat, Report, SvgOptions};
use libfuzzer_sys::fuzz_target;
use quick_xml::events::Event;

const ELEMENTS: &[&[u8]] = &[
    b"svg",
    b"defs",
    b"linearGradient",
    b"stop",
    b"style",
    b"script",
    b"rect",
    b"text",
    b"g",
    b"title",
    b"a",
];

fn check_svg(svg: &[u8]) {
    let text = std::str::from_utf8(svg).expect("the SVG is UTF-8");
    let bad = text.chars().find(|&c| {
        (c < ' ' && !matches!(c, '\t' | '\n' | '\r')) || c == '\u{FFFE}' || c == '\u{FFFF}'
    });
    assert_eq!(bad, None, "a character XML 1.0 cannot hold");
    let mut reader = quick_xml::Reader::from_str(text);
    let mut scripts = 0;
    let mut elements = 0usize;
    loop {
        match reader.read_event().expect("the SVG is well-formed XML") {
            Event::Start(e) | Event::Empty(e) => {
                let name = e.name();
                assert!(
                    ELEMENTS.contains(&name.as_ref()),
                    "unexpected element <{}>",
                    String::from_utf8_lossy(name.as_ref())
                );
                if name.as_ref() == b"script" {
                    scripts += 1;
                }
                for attr in e.attributes() {
                    let attr = attr.expect("well-formed attribute");
                    let key = attr.key.as_ref();
                    assert!(
                        !key.starts_with(b"on") || (key == b"onload" && name.as_ref() == b"svg"),
                        "event handler attribute {}",
                        String::from_utf8_lossy(key)
                    );
                }
                elements += 1;
            }
            Event::GeneralRef(r) => {
                let known = matches!(r.as_ref(), b"lt" | b"gt" | b"amp" | b"quot" | b"apos");
                assert!(
                    known || r.resolve_char_ref().is_ok_and(|c| c.is_some()),
                    "unknown entity &{};",
                    String::from_utf8_lossy(r.as_ref())
                );
            }
            Event::Eof => break,
            _ => {}
        }
    }
    assert_eq!(scripts, 1, "exactly inferno's own script");
    assert!(elements > 0);
}

fuzz_target!(|data: &[u8]| {
    let opts = ParseOptions::default();
    let Ok(profile) = input::parse_bytes(data, None, &opts) else {
        return;
    };
    let profiles = vec![("fuzz".to_string(), profile)];
    let named = [Named {
        name: profiles[0].0.clone(),
        profile: &profiles[0].1,
    }];
    let fold_opts = FoldOptions {
        jobs: 1,
        ..FoldOptions::default()
    };
    let Ok(folded) = fold::fold(&named, &fold_opts) else {
        return;
    };
    let inputs = importflame::summaries(&profiles);
    let svg_opts = SvgOptions::default();
    let report = Report {
        folded: &folded,
        inputs: &inputs,
        svg: &svg_opts,
        top: 25,
    };
    let mut svg = Vec::new();
    if render::render(&report, OutputFormat::Svg, &mut svg).is_ok() {
        check_svg(&svg);
    }
    for format in [OutputFormat::Folded, OutputFormat::Json, OutputFormat::Text] {
        let mut out = Vec::new();
        let _ = render::render(&report, format, &mut out);
    }
});
