//! Translation files: export for translation tools, files changed as a tool would, imported back
//! through REST, GraphQL multipart and the command line, with reports; stale sources, broken
//! codes, other languages, hostile and oversized files.

use chorus_entities::Role;
use chorus_tests::{Backend, TestApp, backend_test, spawn_with};
use sea_orm::{ConnectionTrait, Statement};
use serde_json::{Value, json};

use crate::first_code;

const BODY: &str = "<p>Sex workers' <strong>rights</strong> are <a href=\"https://nswp.org/\">human rights</a>.</p>\
<p>Second paragraph &amp; more.</p><ul><li>Item one</li><li>Item two</li></ul>";

async fn count(app: &TestApp, sql: &str) -> i64 {
    let row = app.db.query_one_raw(Statement::from_string(app.db.get_database_backend(), sql)).await.unwrap().unwrap();
    row.try_get_by_index(0).unwrap()
}

/// A new English resource; its global id and numeric id.
async fn resource(app: &TestApp, editor: &str, title: &str) -> (String, i64) {
    let q = "mutation($i: CreateResourceInput!) { createResource(input: $i) }";
    let input = json!({ "i": { "kind": "GUIDE", "publishedOn": "2026-11-01", "sourceLocale": "en",
        "text": { "title": title, "summary": "What the guide is for.", "body": BODY } } });
    let body = app.gql_as(editor, q, input).await;
    let id = body["data"]["createResource"].as_str().unwrap_or_else(|| panic!("{body}")).to_owned();
    let n = count(app, "SELECT CAST(MAX(id) AS BIGINT) FROM resources WHERE source_locale = 'en'").await;
    (id, n)
}

async fn export(app: &TestApp, token: &str, query: &str) -> (u16, reqwest::header::HeaderMap, String) {
    let resp = app
        .client
        .get(app.url(&format!("/v1/translations/export?{query}")))
        .header("authorization", format!("Bearer {token}"))
        .send()
        .await
        .unwrap();
    let (status, headers) = (resp.status().as_u16(), resp.headers().clone());
    (status, headers, resp.text().await.unwrap())
}

async fn import(app: &TestApp, token: &str, query: &str, file: &str) -> (u16, Value) {
    let resp = app
        .client
        .post(app.url(&format!("/v1/translations/import?{query}")))
        .header("authorization", format!("Bearer {token}"))
        .header("content-type", "application/octet-stream")
        .body(file.to_owned())
        .send()
        .await
        .unwrap();
    (resp.status().as_u16(), resp.json().await.unwrap_or(Value::Null))
}

/// Files as the parts of one `multipart/form-data` request (as `curl -F file=@a -F file=@b`).
async fn import_form(app: &TestApp, token: &str, query: &str, files: &[(&str, &str)]) -> (u16, Value) {
    let mut form = reqwest::multipart::Form::new().text("note", "text parts are ignored");
    for (name, content) in files {
        form =
            form.part("file", reqwest::multipart::Part::bytes(content.as_bytes().to_vec()).file_name(name.to_string()));
    }
    let resp = app
        .client
        .post(app.url(&format!("/v1/translations/import?{query}")))
        .header("authorization", format!("Bearer {token}"))
        .multipart(form)
        .send()
        .await
        .unwrap();
    (resp.status().as_u16(), resp.json().await.unwrap_or(Value::Null))
}

/// What a translation tool does with an XLIFF 1.2 file: a target after each source, its
/// text the source's with `[fr] ` in front (inline codes kept as they are).
fn translate_xliff12(file: &str, prefix: &str) -> String {
    let mut out = String::new();
    let mut rest = file;
    while let Some(start) = rest.find("<source>") {
        let end = rest[start..].find("</source>").unwrap() + start;
        let source = &rest[start + 8..end];
        out.push_str(&rest[..end + 9]);
        out.push_str(&format!("\n    <target state=\"translated\">{prefix}{source}</target>"));
        rest = &rest[end + 9..];
    }
    out.push_str(rest);
    out
}

const WORKING: &str = "query($id: ID!) { workingTranslations(id: $id) { locale status title summary body outdated { fields { field } } } }";

async fn working(app: &TestApp, token: &str, id: &str, locale: &str) -> Value {
    let body = app.gql_as(token, WORKING, json!({ "id": id })).await;
    body["data"]["workingTranslations"]
        .as_array()
        .unwrap_or_else(|| panic!("{body}"))
        .iter()
        .find(|t| t["locale"] == locale)
        .cloned()
        .unwrap_or(Value::Null)
}

async fn xliff_round_trip_with_reports(backend: Backend) {
    let Some(app) = spawn_with(backend, false, |_| {}).await else { return };
    let editor = app.sign_in(Role::Editor, &[]).await;
    let translator = app.sign_in(Role::Translator, &["fr"]).await;
    let spanish = app.sign_in(Role::Translator, &["es"]).await;
    let (id, n) = resource(&app, &editor, "Smart Guide to the Global Fund").await;

    // Export: a download, every unit keyed by its path, inline markup as codes.
    let (status, headers, file) = export(&app, &translator, &format!("locale=fr&type=resource&ids={n}")).await;
    assert_eq!(status, 200, "{file}");
    assert!(headers["content-disposition"].to_str().unwrap().starts_with("attachment; filename=\"chorus-en-fr.xlf\""));
    assert_eq!(headers["x-content-type-options"], "nosniff");
    assert_eq!(headers["x-chorus-units"], "6", "title, summary, 4 blocks: {file}");
    assert!(file.contains(&format!("<trans-unit id=\"resource/{n}/title\"")), "{file}");
    assert!(
        file.contains("<g id=\"1\" ctype=\"bold\">rights</g> are <g id=\"2\" ctype=\"link\">human rights</g>."),
        "{file}"
    );
    assert!(!file.contains("nswp.org"), "markup stays in Chorus: {file}");
    assert!(file.contains("Second paragraph &amp; more."), "{file}");
    xliff_valid(&file);

    // The translator's file comes back: every unit accepted, nothing published.
    let translated = translate_xliff12(&file, "[fr] ");
    let (status, body) = import(&app, &translator, "locale=fr", &translated).await;
    assert_eq!(status, 200, "{body}");
    let report = &body["reports"][0];
    assert_eq!(
        report["counts"],
        json!({ "inFile": 6, "accepted": 6, "unchanged": 0, "needsReview": 0, "rejected": 0, "missing": 0 }),
        "{report}"
    );
    assert_eq!((report["outcome"].as_str(), report["format"].as_str()), (Some("applied"), Some("xliff-1.2")));
    let fr = working(&app, &editor, &id, "fr").await;
    assert_eq!(fr["title"], "[fr] Smart Guide to the Global Fund", "{fr}");
    assert_eq!(fr["status"], "IN_REVIEW");
    let html = fr["body"].as_str().unwrap();
    assert!(html.contains("<p>[fr] Sex workers' <strong>rights</strong> are <a href=\"https://nswp.org/\" rel=\"noopener noreferrer\">human rights</a>.</p>"), "{html}");
    assert!(html.contains("<li>[fr] Item two</li>"), "{html}");
    assert!(fr["outdated"].is_null(), "{fr}");
    let log = count(
        &app,
        &format!("SELECT COUNT(*) FROM change_log WHERE entity = 'resource' AND entity_id = {n} AND locale = 'fr'"),
    )
    .await;
    assert!(log >= 1);
    assert_eq!(
        count(&app, "SELECT COUNT(*) FROM audit_log WHERE action = 'translation.save' AND locale = 'fr'").await,
        1
    );

    // Through translate-toolkit's xliff2po: a PO without msgctxt (the key kept as the
    // reference, the hash as a comment), and inline codes dropped, which only the paragraph
    // that had them notices.
    if let Some(po) = toolkit("xliff2po", &translated, "xlf", "po") {
        msgfmt_check(&po);
        let (_, body) = import(&app, &translator, "locale=fr", &po).await;
        let report = &body["reports"][0];
        assert_eq!(
            (report["counts"]["unchanged"].as_i64(), report["counts"]["rejected"].as_i64()),
            (Some(5), Some(1)),
            "{body}\n{po}"
        );
        assert_eq!(report["entries"][0]["code"], "PLACEHOLDER_MISMATCH", "{body}");
    }

    // The same file again changes nothing; the export now carries the translation.
    let (_, body) = import(&app, &translator, "locale=fr", &translated).await;
    assert_eq!(body["reports"][0]["counts"]["unchanged"], 6, "{body}");
    let (_, _, again) = export(&app, &translator, &format!("locale=fr&type=resource&ids={n}")).await;
    xliff_valid(&again);
    assert!(
        again.contains("<target state=\"translated\">[fr] Sex workers' <g id=\"1\" ctype=\"bold\">rights</g>"),
        "{again}"
    );

    // A Spanish translator's units in French are refused, each with its line.
    let (_, body) = import(&app, &spanish, "", &translated).await;
    let report = &body["reports"][0];
    assert_eq!(report["counts"]["rejected"], 6, "{report}");
    assert!(
        report["entries"]
            .as_array()
            .unwrap()
            .iter()
            .all(|e| e["code"] == "FORBIDDEN" && e["line"].as_u64().unwrap() > 1),
        "{report}"
    );
    // For Spanish, a French file is the wrong language.
    let (_, body) = import(&app, &spanish, "locale=es", &translated).await;
    assert_eq!(body["reports"][0]["entries"][0]["code"], "LOCALE_MISMATCH", "{body}");

    // A dropped inline code refuses that unit, and only that one.
    let broken = translated.replacen(
        "[fr] Sex workers' <g id=\"1\" ctype=\"bold\">rights</g>",
        "[fr] Sex workers' rights (changed)",
        1,
    );
    assert_ne!(broken, translated);
    let (_, body) = import(&app, &translator, "locale=fr&dryRun=true", &broken).await;
    let report = &body["reports"][0];
    assert_eq!(report["entries"][0]["code"], "PLACEHOLDER_MISMATCH", "{report}");
    assert_eq!(
        report["entries"][0]["key"].as_str().unwrap(),
        format!("resource/{n}/body/{}", block_id(&translated, 0))
    );
    let line = report["entries"][0]["line"].as_u64().unwrap() as usize;
    assert!(broken.lines().nth(line - 1).unwrap().contains("<trans-unit"), "line {line}");
    assert_eq!(report["outcome"], "dry_run");

    // The source changes after export: the old title's translation is saved for review, the
    // changed paragraph's translation is placed where that paragraph was, both flagged.
    let save = "mutation($id: ID!, $l: String!, $i: TranslationInput!) { saveTranslation(id: $id, locale: $l, input: $i) { title } }";
    let new_body = BODY.replace("Second paragraph &amp; more.", "Second paragraph, rewritten.");
    let body = app
        .gql_as(
            &editor,
            save,
            json!({ "id": id, "l": "en", "i": { "title": "Smart Guide (2nd edition)", "body": new_body } }),
        )
        .await;
    assert!(body["errors"].is_null(), "{body}");
    let stale = translate_xliff12(&file, "[fr v2] ");
    let (_, body) = import(&app, &translator, "locale=fr", &stale).await;
    let report = &body["reports"][0];
    assert_eq!(report["counts"]["needsReview"], 2, "{report}");
    assert_eq!(report["counts"]["accepted"], 4, "{report}");
    let codes: Vec<&str> = report["entries"].as_array().unwrap().iter().map(|e| e["code"].as_str().unwrap()).collect();
    assert_eq!(codes, ["SOURCE_CHANGED", "SOURCE_CHANGED"], "{report}");
    let fr = working(&app, &editor, &id, "fr").await;
    assert!(fr["body"].as_str().unwrap().contains("<p>[fr v2] Second paragraph &amp; more.</p>"), "{fr}");
    let outdated: Vec<&str> =
        fr["outdated"]["fields"].as_array().unwrap().iter().map(|f| f["field"].as_str().unwrap()).collect();
    assert!(outdated.contains(&"title") && outdated.contains(&"body"), "{fr}");
    assert_ne!(fr["status"], "PUBLISHED");

    // Reports are kept: by id over REST and GraphQL, and per item.
    let report_id = report["id"].as_i64().unwrap();
    let resp = app
        .client
        .get(app.url(&format!("/v1/translations/reports/{report_id}")))
        .header("authorization", format!("Bearer {editor}"))
        .send()
        .await
        .unwrap();
    let stored: Value = resp.json().await.unwrap();
    assert_eq!(stored["counts"], report["counts"]);
    let q = "query($id: Int!, $item: ID!) { importReport(id: $id) { needsReview entries { code line } }
        importReports(item: $item) { id outcome } }";
    let body = app.gql_as(&editor, q, json!({ "id": report_id, "item": id })).await;
    assert_eq!(body["data"]["importReport"]["needsReview"], 2, "{body}");
    assert!(body["data"]["importReports"].as_array().unwrap().len() >= 4, "{body}");
    assert_eq!(body["data"]["importReports"][0]["id"], report_id);
    assert_eq!(first_code(&app.gql(q, json!({ "id": report_id, "item": id })).await), "UNAUTHENTICATED");
    // A file naming an item that does not exist: refused units, and no report listed under it.
    let ghost = "msgctxt \"resource/999999/title\"\nmsgid \"Ghost\"\nmsgstr \"Fantôme\"\n";
    let (s, body) = import(&app, &editor, "locale=fr", ghost).await;
    assert_eq!(s, 200, "{body}");
    assert_eq!(body["reports"][0]["entries"][0]["code"], "UNKNOWN_KEY", "{body}");
    assert_eq!(count(&app, "SELECT COUNT(*) FROM import_report_items WHERE item_id = 999999").await, 0);

    // Hostile and broken files are refused whole, with a code, and change nothing.
    let revisions = count(&app, "SELECT COUNT(*) FROM revisions").await;
    let laughs = "<?xml version=\"1.0\"?><!DOCTYPE x [<!ENTITY a \"aaaaaaaaaa\"><!ENTITY b \"&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;\">]><xliff version=\"1.2\"><file target-language=\"fr\"><body><trans-unit id=\"k\"><source>&b;</source></trans-unit></body></file></xliff>";
    for (file, status, code) in [
        (laughs.to_owned(), 400, "UNSAFE_FILE"),
        (stale.replacen("<trans-unit", "<trans-unit a=\"1\" a=\"2\"", 1), 400, "MALFORMED_FILE"),
        (stale.replacen("</source>", "", 1), 400, "MALFORMED_FILE"),
        ("%PDF-1.7 not a translation file".to_owned(), 415, "UNSUPPORTED_FILE_FORMAT"),
    ] {
        let (s, body) = import(&app, &translator, "locale=fr", &file).await;
        assert_eq!((s, first_code(&body).as_str()), (status, code), "{body}");
    }
    assert_eq!(count(&app, "SELECT COUNT(*) FROM revisions").await, revisions);
    let (s, body) = import(&app, "not-a-token", "", &stale).await;
    assert_eq!((s, first_code(&body).as_str()), (401, "UNAUTHENTICATED"));
    app.stop().await;
}
backend_test!(xliff_round_trip_with_reports);

/// The id of the `i`-th body block in an exported file.
fn block_id(file: &str, i: usize) -> String {
    let mut ids = file.match_indices("/body/").map(|(at, _)| {
        let rest = &file[at + 6..];
        rest[..rest.find('"').unwrap()].to_owned()
    });
    ids.nth(i).unwrap()
}

/// Every other format: exported, changed as its tools would, imported back.
async fn po_json_csv_and_xliff2_round_trips(backend: Backend) {
    let Some(app) = spawn_with(backend, false, |_| {}).await else { return };
    let editor = app.sign_in(Role::Editor, &[]).await;
    let (id, n) = resource(&app, &editor, "Briefing paper").await;
    let sel = format!("type=resource&ids={n}");

    // PO for Russian: msgstr filled in, placeholders kept, one entry left fuzzy.
    let (status, headers, po) = export(&app, &editor, &format!("locale=ru&format=po&{sel}")).await;
    assert_eq!(status, 200, "{po}");
    assert!(headers["content-disposition"].to_str().unwrap().contains("chorus-en-ru.po"));
    assert!(po.contains("msgid \"Sex workers' <1>rights</1> are <2>human rights</2>.\""), "{po}");
    msgfmt_check(&po);
    let mut filled = String::new();
    let mut pending: Option<String> = None;
    for line in po.lines() {
        if let Some(id) = line.strip_prefix("msgid \"").and_then(|l| l.strip_suffix('"')) {
            pending = (!id.is_empty()).then(|| id.to_owned());
        }
        if line == "msgstr \"\""
            && let Some(id) = pending.take()
        {
            filled.push_str(&format!("msgstr \"Перевод: {id}\"\n"));
            continue;
        }
        filled.push_str(line);
        filled.push('\n');
    }
    msgfmt_check(&filled);
    // Through a REST multipart form, beside a file that is not a translation file: each file
    // gets its own report or error (a dry run here, then the PO alone for real).
    let (status, body) =
        import_form(&app, &editor, "dryRun=true", &[("ru.po", &filled), ("notes.pdf", "%PDF-1.7 no")]).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        (body["reports"][0]["fileName"].as_str(), body["reports"][0]["counts"]["accepted"].as_i64()),
        (Some("ru.po"), Some(6)),
        "{body}"
    );
    assert_eq!(body["reports"][0]["outcome"], "dry_run", "{body}");
    assert_eq!(body["reports"][1]["fileName"], "notes.pdf", "{body}");
    assert_eq!(body["reports"][1]["error"]["code"], "UNSUPPORTED_FILE_FORMAT", "{body}");
    assert!(working(&app, &editor, &id, "ru").await.is_null(), "a dry run writes nothing");
    let (_, body) = import_form(&app, &editor, "", &[("ru.po", &filled)]).await;
    assert_eq!(body["reports"][0]["counts"]["accepted"], 6, "{body}");
    assert_eq!(body["reports"][0]["format"], "po");
    let ru = working(&app, &editor, &id, "ru").await;
    assert!(ru["body"].as_str().unwrap().contains("<p>Перевод: Sex workers' <strong>rights</strong>"), "{ru}");
    // The same file through translate-toolkit (po2xliff: msgctxt dropped, the key kept as the
    // unit's location and the hash in a note) comes back unchanged.
    if let Some(xlf) = toolkit("po2xliff", &filled, "po", "xlf") {
        let (_, body) = import(&app, &editor, "locale=ru", &xlf).await;
        assert_eq!(body["reports"][0]["counts"]["unchanged"], 6, "{body}\n{xlf}");
    }
    let (_, _, pot) = export(&app, &editor, &format!("locale=ru&format=pot&{sel}")).await;
    assert!(pot.contains("msgstr \"\"") && !pot.contains("Перевод"), "{pot}");

    // Nested JSON for Spanish, as i18next keeps it.
    let (_, _, json_file) = export(&app, &editor, &format!("locale=es&format=json-nested&{sel}")).await;
    let mut doc: Value = serde_json::from_str(&json_file).unwrap();
    let node = &mut doc["resource"][n.to_string()];
    node["title"] = json!("Documento informativo");
    node["summary"] = json!("Para qué sirve la guía.");
    let (_, body) = import(&app, &editor, "", &doc.to_string()).await;
    assert_eq!(body["reports"][0]["counts"]["accepted"], 6, "the body blocks keep their source text: {body}");
    assert_eq!(working(&app, &editor, &id, "es").await["title"], "Documento informativo");

    // CSV for Chinese, through a GraphQL multipart upload.
    let (_, _, csv) = export(&app, &editor, &format!("locale=zh-Hans&format=csv&{sel}")).await;
    assert!(csv.starts_with("location,source,target,id,fuzzy,context,translator_comments,developer_comments"), "{csv}");
    let csv = csv.replacen(",Briefing paper,,", ",Briefing paper,简报,", 1);
    let operations = json!({
        "query": "mutation($f: Upload!) { importTranslations(file: $f, locale: \"zh-Hans\") { accepted missing outcome format } }",
        "variables": { "f": null },
    });
    let form = reqwest::multipart::Form::new()
        .text("operations", operations.to_string())
        .text("map", json!({ "0": ["variables.f"] }).to_string())
        .part("0", reqwest::multipart::Part::bytes(csv.into_bytes()).file_name("zh.csv"));
    let resp = app
        .client
        .post(app.url("/graphql"))
        .header("authorization", format!("Bearer {editor}"))
        .multipart(form)
        .send()
        .await
        .unwrap();
    let body: Value = resp.json().await.unwrap();
    assert_eq!(
        body["data"]["importTranslations"],
        json!({ "accepted": 1, "missing": 5, "outcome": "applied", "format": "csv" }),
        "{body}"
    );
    assert_eq!(working(&app, &editor, &id, "zh-Hans").await["title"], "简报");
    // Without credentials or a preflight header, a multipart POST (a plain HTML form can send
    // one) is refused.
    let form = reqwest::multipart::Form::new().text("operations", operations.to_string()).text("map", "{}");
    let resp = app.client.post(app.url("/graphql")).multipart(form).send().await.unwrap();
    assert_eq!(resp.status().as_u16(), 415);

    // XLIFF 2.0 for French over GraphQL export, approved and published on request.
    let q = "query($f: TranslationExportFilter) { exportTranslations(locale: \"fr\", format: XLIFF_2_0, filter: $f) { fileName content units } }";
    let body = app.gql_as(&editor, q, json!({ "f": { "items": [id] } })).await;
    let x = &body["data"]["exportTranslations"];
    assert_eq!(x["units"], 6, "{body}");
    let mut file = x["content"].as_str().unwrap().to_owned();
    xliff_valid(&file);
    let mut out = String::new();
    while let Some(start) = file.find("<source xml:space=\"preserve\">") {
        let end = file[start..].find("</source>").unwrap() + start;
        let source = file[start + 29..end].to_owned();
        out.push_str(&file[..end + 9]);
        out.push_str(&format!("<target>{source} (fr)</target>"));
        file = file[end + 9..].to_owned();
    }
    out.push_str(&file);
    let approved = out.replace("<segment state=\"initial\">", "<segment state=\"final\">");
    let (_, body) = import(&app, &editor, "publish=true", &approved).await;
    assert_eq!(body["reports"][0]["counts"]["accepted"], 6, "{body}");
    assert_eq!(working(&app, &editor, &id, "fr").await["status"], "PUBLISHED");
    // Exported again, with its targets and their states, it is still valid.
    let body = app.gql_as(&editor, q, json!({ "f": { "items": [id] } })).await;
    let again = body["data"]["exportTranslations"]["content"].as_str().unwrap();
    assert!(again.contains("<target"), "{again}");
    xliff_valid(again);

    // The command line exports and imports too.
    let (programme_id, m) = resource(&app, &editor, "Programme page").await;
    let dir = tempfile::tempdir().unwrap();
    let out = chorus_cli(
        &app,
        &[
            "translations",
            "export",
            "--locale",
            "fr",
            "--format",
            "po",
            "--type",
            "resource",
            "--ids",
            &m.to_string(),
            "--out",
            dir.path().to_str().unwrap(),
        ],
    );
    assert!(out.contains("chorus-en-fr.po: 1 items, 6 units"), "{out}");
    assert!(dir.path().join("chorus-en.pot").exists());
    let po = std::fs::read_to_string(dir.path().join("chorus-en-fr.po")).unwrap();
    let po = po.replacen(
        "msgid \"Programme page\"\nmsgstr \"\"",
        "msgid \"Programme page\"\nmsgstr \"Page du programme\"",
        1,
    );
    let path = dir.path().join("fr.po");
    std::fs::write(&path, po).unwrap();
    let out = chorus_cli(&app, &["translations", "import", path.to_str().unwrap(), "--dry-run"]);
    assert!(out.contains("1 accepted") && out.contains("dry run"), "{out}");
    assert!(working(&app, &editor, &programme_id, "fr").await.is_null());
    let out = chorus_cli(&app, &["translations", "import", path.to_str().unwrap()]);
    assert!(out.contains("applied"), "{out}");
    assert_eq!(working(&app, &editor, &programme_id, "fr").await["title"], "Page du programme");
    app.stop().await;
}
backend_test!(po_json_csv_and_xliff2_round_trips);

/// A file converted by a translate-toolkit command (`po2xliff`, `xliff2po`); `None` when the
/// toolkit is not installed (`.ci/run` installs it, and then its absence fails).
fn toolkit(command: &str, input: &str, from: &str, to: &str) -> Option<String> {
    let dir = tempfile::tempdir().unwrap();
    let (src, dst) = (dir.path().join(format!("in.{from}")), dir.path().join(format!("out.{to}")));
    std::fs::write(&src, input).unwrap();
    match std::process::Command::new(command).arg(&src).arg(&dst).output() {
        Ok(out) => {
            assert!(out.status.success(), "{command}: {}", String::from_utf8_lossy(&out.stderr));
            Some(std::fs::read_to_string(&dst).unwrap())
        }
        Err(_) if std::env::var_os("CHORUS_REQUIRE_TRANSLATION_TOOLS").is_none() => {
            eprintln!("{command} (translate-toolkit) not installed: skipping");
            None
        }
        Err(e) => panic!("{command}: {e}"),
    }
}

/// The file validates against its OASIS schema (XLIFF 1.2 strict or 2.0 core) with lxml, through
/// `tests/tools/xliff_validate.py`. The schemas come from Debian's php-symfony-translation
/// package: `.ci/run` extracts it and sets `CHORUS_XLIFF_SCHEMAS`; without them the check is
/// skipped outside CI.
fn xliff_valid(xliff: &str) {
    let dir = std::env::var_os("CHORUS_XLIFF_SCHEMAS")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| "/usr/share/php/Symfony/Component/Translation/Resources/schemas".into());
    if !dir.join("xliff-core-1.2-strict.xsd").exists() {
        assert!(
            std::env::var_os("CHORUS_REQUIRE_TRANSLATION_TOOLS").is_none(),
            "no XLIFF schemas in {} (set CHORUS_XLIFF_SCHEMAS)",
            dir.display()
        );
        eprintln!("XLIFF schemas not found: skipping the schema check");
        return;
    }
    let work = tempfile::tempdir().unwrap();
    let path = work.path().join("file.xlf");
    std::fs::write(&path, xliff).unwrap();
    let script = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tools/xliff_validate.py");
    let out = std::process::Command::new("python3").arg(script).arg(&dir).arg(&path).output().unwrap();
    assert!(
        out.status.success(),
        "not valid against its schema:\n{}{}\n{xliff}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// `msgfmt --check` accepts the file (when gettext is installed; `.ci/run` installs it).
fn msgfmt_check(po: &str) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("x.po");
    std::fs::write(&path, po).unwrap();
    match std::process::Command::new("msgfmt").args(["--check", "-o", "/dev/null"]).arg(&path).output() {
        Ok(out) => assert!(out.status.success(), "msgfmt --check: {}\n{po}", String::from_utf8_lossy(&out.stderr)),
        Err(_) if std::env::var_os("CHORUS_REQUIRE_TRANSLATION_TOOLS").is_none() => {
            eprintln!("msgfmt not installed: skipping the PO check");
        }
        Err(e) => panic!("msgfmt: {e}"),
    }
}

/// Runs the `chorus` command line on the test app's configuration; its standard output.
fn chorus_cli(app: &TestApp, args: &[&str]) -> String {
    let (ok, text) = cli(app, args);
    assert!(ok, "chorus {args:?}: {text}");
    text
}

/// The real binary on the test server's database and data directory: (success, output).
pub fn cli(app: &TestApp, args: &[&str]) -> (bool, String) {
    let config = app.config.server.data_dir.join("cli-config.toml");
    std::fs::write(&config, toml_config(app)).unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_chorus-test-server"))
        .arg("--config")
        .arg(&config)
        .args(args)
        .output()
        .unwrap();
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    (out.status.success(), text)
}

fn toml_config(app: &TestApp) -> String {
    format!(
        "[server]\ndata_dir = {:?}\n[database]\nurl = {:?}\n[log]\nlevel = \"warn\"\n",
        app.config.server.data_dir.to_string_lossy(),
        app.config.database.url
    )
}

/// Large and many: an upload over the limit is refused before it is read.
async fn oversized_uploads_are_refused(backend: Backend) {
    let Some(app) = spawn_with(backend, false, |c| c.translations.max_file_bytes = 10_000).await else { return };
    let editor = app.sign_in(Role::Editor, &[]).await;
    let big = format!("msgid \"\"\nmsgstr \"\"\n\n#{}\n", "x".repeat(20_000));
    let (status, body) = import(&app, &editor, "", &big).await;
    assert_eq!((status, first_code(&body).as_str()), (413, "PAYLOAD_TOO_LARGE"), "{body}");
    // In a multipart form: one file over the limit, or small files over it together.
    let (status, body) = import_form(&app, &editor, "", &[("big.po", &big)]).await;
    assert_eq!((status, first_code(&body).as_str()), (413, "PAYLOAD_TOO_LARGE"), "{body}");
    let part = big[..9_000].to_owned();
    // (the request's limit is the file limit and 64 KiB for the framing: ten files of 9,000 bytes)
    let names: Vec<String> = (0..10).map(|i| format!("{i}.po")).collect();
    let files: Vec<(&str, &str)> = names.iter().map(|n| (n.as_str(), part.as_str())).collect();
    let (status, body) = import_form(&app, &editor, "", &files).await;
    assert_eq!((status, first_code(&body).as_str()), (413, "PAYLOAD_TOO_LARGE"), "{body}");
    let staged = app.config.server.data_dir.join("tmp").join("uploads");
    let left = std::fs::read_dir(&staged).map(|d| d.count()).unwrap_or(0);
    assert_eq!(left, 0, "refused uploads leave no staged file");
    assert_eq!(count(&app, "SELECT COUNT(*) FROM import_reports").await, 0);
    app.stop().await;
}
backend_test!(oversized_uploads_are_refused);

/// Exports narrowed by the lists' own filters: REST's codes and GraphQL's list filter inputs.
async fn export_by_list_filters(backend: Backend) {
    let Some(app) = spawn_with(backend, false, |_| {}).await else { return };
    let editor = app.sign_in(Role::Editor, &[]).await;
    let (guide, _) = resource(&app, &editor, "A guide").await;
    let create = "mutation($i: CreateResourceInput!) { createResource(input: $i) }";
    let input = json!({ "i": { "kind": "REPORT", "publishedOn": "2026-11-02", "sourceLocale": "en",
        "text": { "title": "A report", "summary": "What the report found.", "body": BODY } } });
    let r = app.gql_as(&editor, create, input).await;
    let report = r["data"]["createResource"].as_str().unwrap_or_else(|| panic!("{r}")).to_owned();

    let (s, h, file) = export(&app, &editor, "locale=fr&type=resource&kind=report").await;
    assert_eq!(s, 200, "{file}");
    assert!(file.contains("A report") && !file.contains("A guide"), "{file}");
    assert!(h["x-chorus-units"].to_str().unwrap().parse::<u32>().unwrap() > 2);
    let (s, _, file) = export(&app, &editor, "locale=fr&type=resource&kind=report,guide&availableIn=en").await;
    assert_eq!(s, 200);
    assert!(file.contains("A report") && file.contains("A guide"), "{file}");
    let (s, _, body) = export(&app, &editor, "locale=fr&kind=report").await;
    assert_eq!(s, 400, "{body}");
    let (s, _, body) = export(&app, &editor, "locale=fr&type=resource&availableIn=xx-Nowhere").await;
    assert_eq!(s, 400, "{body}");

    let q =
        "query($f: TranslationExportFilter) { exportTranslations(locale: \"es\", filter: $f) { items units content } }";
    let r = app.gql_as(&editor, q, json!({ "f": { "resources": { "kinds": ["GUIDE"] } } })).await;
    assert_eq!(r["data"]["exportTranslations"]["items"], 1, "{r}");
    assert!(r["data"]["exportTranslations"]["content"].as_str().unwrap().contains("A guide"));
    // With chosen items: those of them the filter keeps.
    let r = app
        .gql_as(&editor, q, json!({ "f": { "items": [guide, report], "resources": { "kinds": ["REPORT"] } } }))
        .await;
    assert_eq!(r["data"]["exportTranslations"]["items"], 1, "{r}");
    assert!(r["data"]["exportTranslations"]["content"].as_str().unwrap().contains("A report"));
    let r = app.gql_as(&editor, q, json!({ "f": { "resources": {}, "programmes": {} } })).await;
    assert_eq!(first_code(&r), "BAD_USER_INPUT", "{r}");

    // Several languages at once: a list of files in GraphQL, a ZIP over REST (PO: the template too).
    let many = "query { exportTranslationFiles(locales: [\"fr\", \"ru\"], format: PO) { fileName targetLocale } }";
    let r = app.gql_as(&editor, many, json!({})).await;
    let names: Vec<&str> = r["data"]["exportTranslationFiles"]
        .as_array()
        .unwrap_or_else(|| panic!("{r}"))
        .iter()
        .map(|f| f["fileName"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["chorus-en-fr.po", "chorus-en-ru.po", "chorus-en.pot"], "{r}");
    let resp = app
        .client
        .get(app.url("/v1/translations/export?locale=fr,ru,zh-Hans&format=xliff-2.0&type=resource"))
        .header("authorization", format!("Bearer {editor}"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 200);
    assert_eq!(resp.headers()["content-type"], "application/zip");
    let bytes = resp.bytes().await.unwrap();
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes.to_vec())).unwrap();
    let mut names: Vec<String> = zip.file_names().filter_map(Result::ok).map(|n| n.into_owned()).collect();
    names.sort();
    assert_eq!(names, ["chorus-en-fr.xlf", "chorus-en-ru.xlf", "chorus-en-zh-Hans.xlf"]);
    let mut ru = String::new();
    std::io::Read::read_to_string(&mut zip.by_name("chorus-en-ru.xlf").unwrap(), &mut ru).unwrap();
    assert!(ru.contains("trgLang=\"ru\"") && ru.contains("A report"), "{ru}");
    app.stop().await;
}
backend_test!(export_by_list_filters);
