//! Filling a workbook the way a person in Excel would change it: cell values (and formulas)
//! rewritten inside the file, everything else left as it was.

use std::collections::HashMap;
use std::io::{Cursor, Read, Write};

/// What to put in a cell.
#[derive(Debug, Clone)]
pub enum Cell {
    Number(f64),
    Text(String),
    Formula(String),
}

/// The worksheet part of each sheet name, read from the workbook and its relationships.
fn sheet_parts(files: &HashMap<String, Vec<u8>>) -> HashMap<String, String> {
    let text = |name: &str| String::from_utf8(files[name].clone()).expect("utf-8 xml");
    let workbook = text("xl/workbook.xml");
    let rels = text("xl/_rels/workbook.xml.rels");
    let attr = |el: &str, name: &str| -> Option<String> {
        let start = el.find(&format!(" {name}=\""))? + name.len() + 3;
        let end = el[start..].find('"')? + start;
        Some(el[start..end].to_owned())
    };
    let mut targets = HashMap::new();
    for el in rels.split("<Relationship ").skip(1) {
        if let (Some(id), Some(target)) = (attr(&format!(" {el}"), "Id"), attr(&format!(" {el}"), "Target")) {
            let path = target.trim_start_matches('/').trim_start_matches("xl/");
            targets.insert(id, format!("xl/{path}"));
        }
    }
    let mut out = HashMap::new();
    for el in workbook.split("<sheet ").skip(1) {
        let el = format!(" {el}");
        if let (Some(name), Some(id)) = (attr(&el, "name"), attr(&el, "r:id")) {
            out.insert(xml_unescape(&name), targets[&id].clone());
        }
    }
    out
}

fn xml_unescape(s: &str) -> String {
    s.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&amp;", "&")
}

fn xml_escape(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;")
}

/// Replaces (or adds) the cell `at` ("E7") in a worksheet's XML.
fn set_cell(xml: &str, at: &str, value: &Cell) -> String {
    let style = |el: &str| {
        el.find(" s=\"")
            .map(|i| el[i..].split('"').take(2).collect::<Vec<_>>().join("\"") + "\"")
    };
    let open = format!("<c r=\"{at}\"");
    let start = xml.find(&open).unwrap_or_else(|| panic!("cell {at} is in the sheet"));
    let rest = &xml[start..];
    let tag_end = rest.find('>').unwrap();
    let end = if rest[..tag_end].ends_with('/') {
        tag_end + 1
    } else {
        rest.find("</c>").unwrap() + 4
    };
    let s = style(&rest[..tag_end]).unwrap_or_default();
    let new = match value {
        Cell::Number(n) => format!("<c r=\"{at}\"{s}><v>{n}</v></c>"),
        Cell::Text(t) => format!("<c r=\"{at}\"{s} t=\"inlineStr\"><is><t>{}</t></is></c>", xml_escape(t)),
        Cell::Formula(f) => format!("<c r=\"{at}\"{s}><f>{}</f><v>0</v></c>", xml_escape(f)),
    };
    format!("{}{new}{}", &xml[..start], &rest[end..])
}

/// The workbook with `cells` (sheet, cell, value) changed.
pub fn fill(bytes: &[u8], cells: &[(String, String, Cell)]) -> Vec<u8> {
    let mut zip = zip::ZipArchive::new(Cursor::new(bytes)).expect("a zip");
    let mut files: HashMap<String, Vec<u8>> = HashMap::new();
    let mut order = Vec::new();
    for i in 0..zip.len() {
        let mut f = zip.by_index(i).unwrap();
        let mut buf = Vec::new();
        f.read_to_end(&mut buf).unwrap();
        order.push(f.name().to_owned());
        files.insert(f.name().to_owned(), buf);
    }
    let parts = sheet_parts(&files);
    for (sheet, at, value) in cells {
        let part = parts.get(sheet).unwrap_or_else(|| panic!("sheet {sheet}"));
        let xml = String::from_utf8(files[part].clone()).unwrap();
        files.insert(part.clone(), set_cell(&xml, at, value).into_bytes());
    }
    let mut out = Cursor::new(Vec::new());
    {
        let mut w = zip::ZipWriter::new(&mut out);
        let opts = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
        for name in order {
            w.start_file(name.as_str(), opts).unwrap();
            w.write_all(&files[&name]).unwrap();
        }
        w.finish().unwrap();
    }
    out.into_inner()
}
