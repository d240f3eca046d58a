//! The `chorus` command line.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use chorus_migrations::{Migrator, MigratorTrait};
use clap::{Parser, Subcommand};

use chorus_entities::Role;

use crate::auth::{Scope, accounts};
use crate::config::{Config, LogFormat};
use crate::error::{AppError, AppResult};
use crate::startup::{Application, shutdown_signal};
use crate::write::Actor;
use crate::{db, demo, graphql};

#[derive(Parser, Debug)]
#[command(name = "chorus", version, about = "A headless CMS for multilingual advocacy content")]
pub struct Cli {
    /// Configuration file (default: ./config.toml when present, else built-in defaults).
    #[arg(long, global = true, value_name = "FILE")]
    config: Option<PathBuf>,
    /// Directory for the SQLite file, uploads and the search index (default: ./data).
    #[arg(long, global = true, value_name = "DIR")]
    data_dir: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Serve the API.
    Serve {
        /// Load the demo content first (idempotent).
        #[arg(long)]
        demo: bool,
        /// Address to listen on: 127.0.0.1:8080, localhost:8080, 0.0.0.0:8080.
        #[arg(long, value_name = "ADDR", value_parser = crate::config::parse_bind)]
        bind: Option<SocketAddr>,
    },
    /// Database migrations.
    Migrate {
        #[command(subcommand)]
        action: MigrateAction,
    },
    /// Demo content.
    Demo {
        #[command(subcommand)]
        action: DemoAction,
    },
    /// Print the GraphQL schema (SDL).
    Schema,
    /// Configuration.
    Config {
        #[command(subcommand)]
        action: ConfigAction,
    },
    /// User accounts (the first admin can only be created here).
    User {
        #[command(subcommand)]
        action: UserAction,
    },
    /// API tokens for services and scripts.
    Token {
        #[command(subcommand)]
        action: TokenAction,
    },
    /// Translation files: export for translation tools, import what they send back.
    Translations {
        #[command(subcommand)]
        action: TranslationsAction,
    },
    /// Per-language documents: upload files, compare the database with the store, sweep it.
    Documents {
        #[command(subcommand)]
        action: DocumentsAction,
    },
    /// Partner keys for embedded search (the widget, the frame and /v1/search).
    #[command(name = "partner-key")]
    PartnerKey {
        #[command(subcommand)]
        action: PartnerKeyAction,
    },
    /// Rebuild the search indexes from the database into new directories and switch to them
    /// atomically (a running server on the same data directory switches too); then the titles
    /// lists are ordered by (after the database was restored or written to outside Chorus).
    Reindex {
        /// Rebuild only this search index: public or drafts (and not the titles).
        #[arg(long, value_name = "INDEX")]
        only: Option<String>,
    },
}

#[derive(Subcommand, Debug)]
enum UserAction {
    /// Create a user; the password is read from the first line of standard input.
    Create {
        #[arg(long)]
        email: String,
        #[arg(long)]
        name: String,
        /// admin, editor, translator, reviewer or viewer.
        #[arg(long)]
        role: String,
        /// Locales a translator or reviewer works in, comma-separated (e.g. fr,es).
        #[arg(long, default_value = "")]
        locales: String,
    },
    /// List users.
    List,
    /// Disable a user and end their sessions.
    Disable {
        #[arg(long)]
        email: String,
    },
}

#[derive(Subcommand, Debug)]
enum TokenAction {
    /// Create an API token for a user; it is printed once and stored only as a hash.
    Create {
        #[arg(long)]
        email: String,
        #[arg(long)]
        name: String,
        /// Comma-separated: read_drafts, write, publish, admin.
        #[arg(long)]
        scopes: String,
        /// Days until the token expires (default: never).
        #[arg(long)]
        expires_in_days: Option<u32>,
    },
    /// List API tokens (never their values).
    List,
    /// Revoke an API token by id.
    Revoke {
        #[arg(long)]
        id: i32,
    },
}

/// A partner key's settings on the command line; on `update`, options left out are kept.
#[derive(clap::Args, Debug)]
struct PartnerKeyArgs {
    /// Who the key is for.
    #[arg(long)]
    description: Option<String>,
    /// A site the key may be used from (https://partner.example); repeat for several.
    #[arg(long = "origin", value_name = "ORIGIN")]
    origins: Vec<String>,
    /// Languages searches may find, comma-separated (default: all).
    #[arg(long)]
    locales: Option<String>,
    /// Region codes, comma-separated (default: any).
    #[arg(long)]
    regions: Option<String>,
    /// Kinds (REPORT, TOOLKIT, NETWORK...), comma-separated (default: any).
    #[arg(long)]
    kinds: Option<String>,
    /// Topic codes, comma-separated (default: any).
    #[arg(long)]
    topics: Option<String>,
    /// Programme ids (numbers), comma-separated (default: any).
    #[arg(long)]
    programmes: Option<String>,
    /// Requests per minute (a token bucket per server process; default: embed.default_rate_per_minute).
    #[arg(long)]
    rate: Option<u32>,
    /// Requests allowed at once (default: embed.default_burst).
    #[arg(long)]
    burst: Option<u32>,
    /// Days until the key expires (default: never).
    #[arg(long)]
    expires_in_days: Option<u32>,
}

impl PartnerKeyArgs {
    fn into_settings(self) -> Result<crate::partners::KeySettings, AppError> {
        let list = |v: Option<String>| {
            v.map(|v| v.split(',').map(str::trim).filter(|s| !s.is_empty()).map(str::to_owned).collect::<Vec<_>>())
        };
        let programmes = list(self.programmes)
            .map(|ids| {
                ids.iter()
                    .map(|p| {
                        p.parse::<i64>().map_err(|_| AppError::bad_input(format!("--programmes: `{p}` is not an id")))
                    })
                    .collect::<Result<Vec<_>, _>>()
            })
            .transpose()?;
        Ok(crate::partners::KeySettings {
            description: self.description,
            origins: (!self.origins.is_empty()).then_some(self.origins),
            locales: list(self.locales),
            regions: list(self.regions),
            kinds: list(self.kinds),
            topics: list(self.topics),
            programmes,
            rate_per_minute: self.rate,
            burst: self.burst,
            expires_at: self.expires_in_days.map(|d| Some(chrono::Utc::now() + chrono::Duration::days(i64::from(d)))),
        })
    }
}

#[derive(Subcommand, Debug)]
enum PartnerKeyAction {
    /// Create a key; its value is printed once (give it to the partner) and stored as a hash.
    Create(PartnerKeyArgs),
    /// List keys (never their values).
    List,
    /// Change a key's description, origins, scope, rate or expiry.
    Update {
        #[arg(long)]
        id: i32,
        #[command(flatten)]
        settings: PartnerKeyArgs,
    },
    /// Give a key a new value (printed once); the old one stops working.
    Rotate {
        #[arg(long)]
        id: i32,
    },
    /// Revoke a key for good.
    Revoke {
        #[arg(long)]
        id: i32,
    },
    /// A key's use per day: requests, searches that found nothing, requests over the rate.
    Usage {
        #[arg(long)]
        id: i32,
        #[arg(long, default_value_t = 30)]
        days: u64,
    },
}

#[derive(Subcommand, Debug)]
enum MigrateAction {
    /// Apply every pending migration.
    Up,
    /// Revert the last applied migration.
    Down,
    /// List migrations and whether each is applied.
    Status,
}

#[derive(Subcommand, Debug)]
enum DemoAction {
    /// Load the demo content (idempotent).
    Load,
}

#[derive(Subcommand, Debug)]
enum ConfigAction {
    /// Validate the configuration and print the effective values.
    Check,
}

#[derive(Subcommand, Debug)]
enum TranslationsAction {
    /// Write one file per target language (and a POT with PO) into a directory.
    Export {
        /// Target language (repeat for several).
        #[arg(long = "locale", required = true, value_name = "TAG")]
        locales: Vec<String>,
        /// xliff-1.2, xliff-2.0, po, json, json-nested or csv.
        #[arg(long, default_value = "xliff-1.2")]
        format: String,
        /// Only items of this type: resource, good_practice, organization, programme.
        #[arg(long = "type", value_name = "TYPE")]
        ty: Option<String>,
        /// Only these items (ids of --type), comma-separated.
        #[arg(long, value_delimiter = ',')]
        ids: Vec<i32>,
        /// Only items changed since this date (2026-01-31).
        #[arg(long, value_name = "DATE")]
        since: Option<chrono::NaiveDate>,
        /// Only items written in this language.
        #[arg(long, value_name = "TAG")]
        source_locale: Option<String>,
        /// List filters, with --type (comma-separated codes): kinds, regions, countries, topics,
        /// and languages the items are available in.
        #[arg(long, value_delimiter = ',')]
        kind: Vec<String>,
        #[arg(long, value_delimiter = ',')]
        region: Vec<String>,
        #[arg(long, value_delimiter = ',')]
        country: Vec<String>,
        #[arg(long, value_delimiter = ',')]
        topic: Vec<String>,
        #[arg(long, value_delimiter = ',', value_name = "TAG")]
        available_in: Vec<String>,
        /// Directory to write into (created when missing).
        #[arg(long, default_value = ".")]
        out: PathBuf,
    },
    /// Import translation files (format detected from the content) and print their reports.
    Import {
        #[arg(required = true, value_name = "FILE")]
        files: Vec<PathBuf>,
        /// The language of the translations; units in another are refused.
        #[arg(long, value_name = "TAG")]
        locale: Option<String>,
        /// Check and report without writing.
        #[arg(long)]
        dry_run: bool,
        /// Write each item on its own (by default a file is written whole or not at all).
        #[arg(long)]
        per_item: bool,
        /// Publish versions whose units are all final.
        #[arg(long)]
        publish: bool,
        /// Act as this user (their role and languages apply); by default the operator, with every right.
        #[arg(long = "as", value_name = "EMAIL")]
        as_user: Option<String>,
        /// Print the reports as JSON.
        #[arg(long)]
        json: bool,
    },
}

#[derive(Subcommand, Debug)]
enum DocumentsAction {
    /// Attach a file to one language of an item (its type read from its bytes).
    Upload {
        #[arg(value_name = "FILE")]
        file: PathBuf,
        /// The item, as `type/id` (resource/12) or its API id.
        #[arg(long)]
        item: String,
        #[arg(long, value_name = "TAG")]
        locale: String,
        #[arg(long)]
        title: Option<String>,
        /// Act as this user (their role and languages apply); by default the operator, with every right.
        #[arg(long = "as", value_name = "EMAIL")]
        as_user: Option<String>,
    },
    /// Report documents whose file is missing from the store (or of another size), and stored
    /// files no document uses; exits with status 1 when a document has no file.
    Check,
    /// Remove stored files that no document uses and that are older than the grace period.
    Sweep {
        /// Minutes a file no document uses is kept (default: documents.sweep_grace_minutes).
        #[arg(long)]
        grace_minutes: Option<u64>,
    },
}

/// Entry point of the binary: the process environment is read here and nowhere else.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    let env: HashMap<String, String> = std::env::vars().collect();
    if let Command::Schema = cli.command {
        print!("{}", graphql::sdl());
        return ExitCode::SUCCESS;
    }
    let mut config = match Config::load(cli.config.as_deref(), &env) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("chorus: configuration error: {e}");
            return ExitCode::from(2);
        }
    };
    if let Some(dir) = cli.data_dir.clone() {
        config.server.data_dir = dir;
    }
    init_tracing(&config);
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("chorus: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli.command, config)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!(error = ?e, "chorus failed");
            eprintln!("chorus: {e}");
            ExitCode::FAILURE
        }
    }
}

/// Installs the log subscriber the configuration asks for (once per process).
pub fn init_tracing(config: &Config) {
    let filter = tracing_subscriber::EnvFilter::try_new(&config.log.level).unwrap_or_else(|_| "info".into());
    let ansi = std::io::IsTerminal::is_terminal(&std::io::stderr());
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr).with_ansi(ansi);
    let _ = match config.log.format {
        LogFormat::Json => builder.json().try_init(),
        LogFormat::Text => builder.try_init(),
    };
}

async fn run(command: Command, mut config: Config) -> Result<(), AppError> {
    match command {
        Command::Serve { demo, bind } => {
            if let Some(bind) = bind {
                config.server.bind = bind;
            }
            let app = Application::build(config).await?;
            if demo {
                let report = demo::load(&app.state().db).await?;
                let state = app.state();
                // The demo is written directly (no change log): the reference data is read again,
                // and the titles lists are ordered by are made for what it added.
                state.reference.load(&state.db).await?;
                if report.created > 0 {
                    crate::content::title_order::rebuild(&state.db, &state.locales).await?;
                }
                let documents = demo::load_documents(state, &state.storage, &state.config).await?;
                tracing::info!(created = report.created, existing = report.existing, documents, "demo content loaded");
            }
            let ip = app.state().config.server.bind.ip();
            // All interfaces: this machine reaches them as localhost.
            let host = if ip.is_unspecified() { "localhost".to_owned() } else { ip.to_string() };
            let host = if ip.is_ipv6() && !ip.is_unspecified() { format!("[{host}]") } else { host };
            let base = format!("http://{host}:{}", app.port());
            let url = format!("{base}/graphql");
            tracing::info!(%url, "Chorus is serving");
            eprintln!("Chorus is serving GraphQL at {url}");
            if app.state().config.graphql.graphiql {
                eprintln!("API explorer (GraphiQL, works offline): {base}/graphiql");
            }
            app.run_until_stopped(shutdown_signal()).await.map_err(|e| AppError::internal(format!("server: {e}")))
        }
        Command::Migrate { action } => {
            let db = db::connect(&config, None).await?;
            match action {
                MigrateAction::Up => {
                    Migrator::up(&db, None).await?;
                    println!("migrations applied");
                }
                MigrateAction::Down => {
                    Migrator::down(&db, Some(1)).await?;
                    println!("last migration reverted");
                }
                MigrateAction::Status => {
                    let state = db::migration_state(&db).await?;
                    for name in &state.applied {
                        let mark = if state.unknown.contains(name) { "unknown to this binary" } else { "applied" };
                        println!("{name}  {mark}");
                    }
                    for name in &state.pending {
                        println!("{name}  pending");
                    }
                }
            }
            Ok(())
        }
        Command::Demo { action: DemoAction::Load } => {
            let db = open(&config).await?;
            let report = demo::load(&db).await?;
            let locales = config.locales().map_err(|e| AppError::internal(format!("locales: {e}")))?;
            if report.created > 0 {
                crate::content::title_order::rebuild(&db, &locales).await?;
            }
            let storage = crate::storage::Storage::from_config(&config.documents, &config.server.data_dir)?;
            let services = CliServices { db, locales };
            let documents = demo::load_documents(&services, &storage, &config).await?;
            println!(
                "demo content: {} created, {} already present; {documents} documents stored",
                report.created, report.existing
            );
            Ok(())
        }
        Command::Config { action: ConfigAction::Check } => {
            println!("# configuration is valid; the effective values (file, environment and defaults),");
            println!("# secrets shown as ***");
            print!("{}", config.redacted_toml());
            Ok(())
        }
        Command::Schema => Ok(()),
        Command::User { action } => user(action, &config).await,
        Command::Token { action } => token(action, &config).await,
        Command::PartnerKey { action } => partner_key(action, &config).await,
        Command::Reindex { only } => reindex(&config, only.as_deref()).await,
        Command::Translations { action } => translations(action, &config).await,
        Command::Documents { action } => documents(action, &config).await,
    }
}

async fn documents(action: DocumentsAction, config: &Config) -> Result<(), AppError> {
    use crate::content::documents::{self, receive};
    let db = open(config).await?;
    let storage = crate::storage::Storage::from_config(&config.documents, &config.server.data_dir)?;
    match action {
        DocumentsAction::Upload { file, item, locale, title, as_user } => {
            let locales = config.locales().map_err(|e| AppError::internal(format!("locales: {e}")))?;
            let services = CliServices { db, locales };
            let who = match as_user {
                None => crate::auth::Principal {
                    user_id: 0,
                    display_name: "system (chorus documents upload)".into(),
                    role: Role::Admin,
                    locales: vec![],
                    scopes: None,
                    session_id: None,
                },
                Some(email) => accounts::principal_by_email(&services.db, email.as_str()).await?,
            };
            let (ty, item_id) = match item.split_once('/') {
                Some((ty, id)) => (
                    crate::content::ContentType::from_entity(ty).ok_or_else(|| {
                        AppError::bad_input("--item: resource, good_practice, organization or programme, then /id")
                    })?,
                    id.parse().map_err(|_| AppError::bad_input("--item: type/number"))?,
                ),
                None => {
                    let (node, id) = graphql::ids::decode(&item)?;
                    (node.content_type().ok_or_else(|| AppError::bad_input("--item: not an item"))?, id)
                }
            };
            let opened = tokio::fs::File::open(&file)
                .await
                .map_err(|e| AppError::bad_input(format!("{}: {e}", file.display())))?;
            let chunks = tokio_chunks(opened);
            let dir = receive::staging_dir(&config.server.data_dir);
            let timeout = std::time::Duration::from_secs(config.documents.upload_timeout_seconds);
            let received = receive::receive(chunks, &dir, config.documents.max_file_bytes, timeout).await?;
            let file_name = file.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
            let input = documents::Upload { ty, item_id, locale, title, file_name };
            let up = documents::upload(&services, &storage, &config.documents, &who, input, received).await?;
            let d = &up.document;
            println!(
                "{} document {} ({}, {} bytes, sha256 {}) for {}/{} in {}: {}",
                if up.created { "stored" } else { "already there:" },
                d.id,
                d.mime_type,
                d.size,
                d.sha256,
                d.entity,
                d.item_id,
                d.locale,
                d.url(&config.documents)
            );
            Ok(())
        }
        DocumentsAction::Check => {
            let report = documents::check(&db, &storage).await?;
            println!("{}: {} documents, {} stored files", storage.describe(), report.rows, report.objects);
            for (id, key) in &report.missing {
                println!("missing: document {id} has no file at {key} (or one of another size)");
            }
            for key in &report.unreferenced {
                println!("unused: {key} (removed by the sweeper after documents.sweep_grace_minutes)");
            }
            if report.missing.is_empty() {
                Ok(())
            } else {
                Err(AppError::NotFound(format!("{} documents have no file in the store", report.missing.len())))
            }
        }
        DocumentsAction::Sweep { grace_minutes } => {
            let minutes = grace_minutes.unwrap_or(config.documents.sweep_grace_minutes);
            let grace = chrono::Duration::minutes(i64::try_from(minutes).unwrap_or(i64::MAX / 120_000));
            let removed = documents::sweep(&db, &storage, grace).await?;
            for key in &removed {
                println!("removed: {key}");
            }
            println!("{}: {} unused files removed", storage.describe(), removed.len());
            Ok(())
        }
    }
}

/// A file as a stream of chunks.
fn tokio_chunks(
    file: tokio::fs::File,
) -> impl futures_util::Stream<Item = Result<bytes::Bytes, std::io::Error>> + Unpin {
    Box::pin(futures_util::stream::unfold(file, |mut file| async move {
        use tokio::io::AsyncReadExt;
        let mut buf = vec![0u8; 256 * 1024];
        match file.read(&mut buf).await {
            Ok(0) => None,
            Ok(n) => {
                buf.truncate(n);
                Some((Ok(bytes::Bytes::from(buf)), file))
            }
            Err(e) => Some((Err(e), file)),
        }
    }))
}

async fn reindex(config: &Config, only: Option<&str>) -> Result<(), AppError> {
    use crate::search::{IndexKind, SearchService, indexer};
    let kinds = match only {
        None | Some("all") => vec![IndexKind::Public, IndexKind::Drafts],
        Some("public") => vec![IndexKind::Public],
        Some("drafts") => vec![IndexKind::Drafts],
        Some(other) => return Err(AppError::bad_input(format!("--only: public or drafts, not {other}"))),
    };
    let db = open(config).await?;
    let locales = config.locales().map_err(|e| AppError::internal(format!("locales: {e}")))?;
    let service = SearchService::new(config, locales.codes().to_vec());
    for kind in kinds {
        let slot = service.slot(kind);
        let started = std::time::Instant::now();
        let bar = Progress::new(kind.name());
        let index =
            indexer::rebuild(&db, locales.codes(), &slot.store, kind, config.search.rebuild_threads, &|done, total| {
                bar.show(done, total)
            })
            .await?;
        bar.finish();
        println!(
            "{} index: {} documents in {:.1} s, now live ({})",
            kind.name(),
            index.num_docs(),
            started.elapsed().as_secs_f64(),
            index.name()
        );
        drop(index);
        for (name, reason) in slot.store.clean_up() {
            println!("{} index: kept {name} ({reason})", kind.name());
        }
    }
    if matches!(only, None | Some("all")) {
        let started = std::time::Instant::now();
        crate::content::title_order::rebuild(&db, &locales).await?;
        println!(
            "titles lists are ordered by: rebuilt for {} locales in {:.1} s",
            locales.codes().len(),
            started.elapsed().as_secs_f64()
        );
    }
    Ok(())
}

/// The services the command line gives the content services: the database and the locales; it
/// tells no one of its writes (running servers follow the change log).
struct CliServices {
    db: sea_orm::DatabaseConnection,
    locales: crate::locale::Locales,
}

impl crate::write::Notify for CliServices {
    fn committed<'a>(&'a self, _: &'a [crate::write::Changed]) -> futures_util::future::BoxFuture<'a, ()> {
        Box::pin(async {})
    }

    fn before_commit<'a>(
        &'a self,
        txn: &'a sea_orm::DatabaseTransaction,
        changes: &'a [crate::write::Changed],
    ) -> futures_util::future::BoxFuture<'a, AppResult<()>> {
        Box::pin(crate::content::title_order::keep(txn, &self.locales, changes))
    }
}

impl crate::content::Services for CliServices {
    fn db(&self) -> &sea_orm::DatabaseConnection {
        &self.db
    }

    fn locales(&self) -> &crate::locale::Locales {
        &self.locales
    }
}

async fn translations(action: TranslationsAction, config: &Config) -> Result<(), AppError> {
    use crate::exchange::{Format, ReadLimits, export, import};
    let db = open(config).await?;
    let locales = config.locales().map_err(|e| AppError::internal(format!("locales: {e}")))?;
    let services = CliServices { db, locales };
    let operator = |what: &str| crate::auth::Principal {
        user_id: 0,
        display_name: format!("system (chorus translations {what})"),
        role: Role::Admin,
        locales: vec![],
        scopes: None,
        session_id: None,
    };
    match action {
        TranslationsAction::Export {
            locales,
            format,
            ty,
            ids,
            since,
            source_locale,
            kind,
            region,
            country,
            topic,
            available_in,
            out,
        } => {
            let template_too = format.eq_ignore_ascii_case("po");
            let format = Format::parse(&format)?;
            let ty = match ty {
                Some(t) => Some(crate::content::ContentType::from_entity(t.as_str()).ok_or_else(|| {
                    AppError::bad_input("--type: resource, good_practice, organization or programme")
                })?),
                None => None,
            };
            if !ids.is_empty() && ty.is_none() {
                return Err(AppError::bad_input("--ids: give --type too"));
            }
            let filters =
                export::SimpleFilters { kinds: kind, regions: region, countries: country, topics: topic, available_in }
                    .filters(&services.locales)?;
            if !filters.is_empty() && ty.is_none() {
                return Err(AppError::bad_input("--kind, --region, --country, --topic and --available-in need --type"));
            }
            let sel = export::Selection {
                ty,
                ids,
                changed_since: since.and_then(|d| d.and_hms_opt(0, 0, 0)).map(|d| d.and_utc()),
                source_locale,
                filters,
            };
            std::fs::create_dir_all(&out).map_err(|e| AppError::internal(format!("{}: {e}", out.display())))?;
            let who = operator("export");
            for locale in &locales {
                let bar = Progress::new("export");
                let files =
                    export::export_with_progress(&services, &who, &sel, locale, &|done, total| bar.show(done, total))
                        .await?;
                bar.finish();
                if files.is_empty() {
                    println!("{locale}: nothing to translate");
                }
                for file in files {
                    let mut written = vec![(export::file_name(&file, format, false), file.write(format))];
                    if template_too {
                        let pot = crate::exchange::po::write(&file, true);
                        written.push((export::file_name(&file, format, true), pot));
                    }
                    for (name, bytes) in written {
                        let path = out.join(&name);
                        std::fs::write(&path, bytes)
                            .map_err(|e| AppError::internal(format!("{}: {e}", path.display())))?;
                        println!("{}: {} items, {} units", path.display(), file.items.len(), file.units().count());
                    }
                }
            }
            Ok(())
        }
        TranslationsAction::Import { files, locale, dry_run, per_item, publish, as_user, json } => {
            let who = match as_user {
                None => operator("import"),
                Some(email) => accounts::principal_by_email(&services.db, email.as_str()).await?,
            };
            let limits = ReadLimits::from(&config.translations);
            let mut failed = false;
            for path in files {
                let size = std::fs::metadata(&path)
                    .map_err(|e| AppError::bad_input(format!("{}: {e}", path.display())))?
                    .len();
                if size > config.translations.max_file_bytes as u64 {
                    return Err(AppError::bad_input(format!(
                        "{}: larger than translations.max_file_bytes ({} bytes)",
                        path.display(),
                        config.translations.max_file_bytes
                    )));
                }
                let file =
                    std::fs::File::open(&path).map_err(|e| AppError::bad_input(format!("{}: {e}", path.display())))?;
                let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
                let opts =
                    import::ImportOptions { file_name: name, dry_run, per_item, publish, locale: locale.clone() };
                match import::import_file(&services, &who, file, &opts, limits).await {
                    Ok(report) => {
                        failed |= report.outcome == "rejected";
                        if json {
                            println!("{}", report.to_json());
                        } else {
                            print!("{}", report.to_text());
                        }
                    }
                    Err(e) => {
                        failed = true;
                        eprintln!("{}: {} {}", path.display(), e.code().as_str(), e.public_message());
                    }
                }
            }
            if failed { Err(AppError::bad_input("some files were not imported")) } else { Ok(()) }
        }
    }
}

/// A progress bar on standard error when it is a terminal; occasional lines otherwise.
struct Progress {
    label: &'static str,
    tty: bool,
    last: std::sync::atomic::AtomicU64,
}

impl Progress {
    fn new(label: &'static str) -> Progress {
        Progress { label, tty: std::io::IsTerminal::is_terminal(&std::io::stderr()), last: Default::default() }
    }

    fn show(&self, done: u64, total: u64) {
        let percent = (done * 100).checked_div(total).unwrap_or(100).min(100);
        if self.tty {
            let filled = (percent / 4) as usize;
            eprint!(
                "\r{:>7} [{}{}] {percent:>3}% {done}/{total} items",
                self.label,
                "#".repeat(filled),
                "-".repeat(25 - filled)
            );
        } else if percent >= self.last.load(std::sync::atomic::Ordering::Relaxed) + 10 || done == 0 {
            self.last.store(percent, std::sync::atomic::Ordering::Relaxed);
            eprintln!("{}: {percent}% ({done}/{total} items)", self.label);
        }
    }

    fn finish(&self) {
        if self.tty {
            eprintln!();
        }
    }
}

/// The database, migrated as the start-up policy says.
async fn open(config: &Config) -> Result<sea_orm::DatabaseConnection, AppError> {
    let db = db::connect(config, None).await?;
    db::prepare(&db, config.database.migrate_on_start).await?;
    Ok(db)
}

fn parse_role(raw: &str) -> Result<Role, AppError> {
    match raw.trim().to_ascii_lowercase().as_str() {
        "admin" => Ok(Role::Admin),
        "editor" => Ok(Role::Editor),
        "translator" => Ok(Role::Translator),
        "reviewer" => Ok(Role::Reviewer),
        "viewer" => Ok(Role::Viewer),
        other => {
            Err(AppError::bad_input(format!("role `{other}`: one of admin, editor, translator, reviewer, viewer")))
        }
    }
}

async fn user(action: UserAction, config: &Config) -> Result<(), AppError> {
    let db = open(config).await?;
    match action {
        UserAction::Create { email, name, role, locales } => {
            let mut password = String::new();
            std::io::stdin().read_line(&mut password).map_err(|e| AppError::internal(format!("stdin: {e}")))?;
            let locale_set = config.locales().map_err(|e| AppError::bad_input(e.to_string()))?;
            let new = accounts::NewUser {
                email,
                display_name: name,
                password: password.trim_end_matches(['\r', '\n']).to_owned(),
                role: parse_role(&role)?,
                locales: locales.split(',').map(str::trim).filter(|l| !l.is_empty()).map(str::to_owned).collect(),
            };
            let u = accounts::create_user(&db, &locale_set, Actor::system("chorus user create"), new).await?;
            println!("created user {} <{}> ({:?})", u.id, u.email, u.role);
        }
        UserAction::List => {
            let users = accounts::list_users(&db).await?;
            if users.is_empty() {
                println!("no users yet; create one with `chorus user create --email ... --name ... --role admin`");
            }
            for u in users {
                let state = if u.disabled { "disabled" } else { "active" };
                println!("{}\t{}\t{}\t{:?}\t{}\t{state}", u.id, u.email, u.display_name, u.role, u.locales);
            }
        }
        UserAction::Disable { email } => {
            let by = Actor::system("chorus user disable");
            let u = accounts::set_disabled(&db, by, accounts::UserRef::Email(&email), true).await?;
            println!("disabled user {} <{}>; their sessions are revoked", u.id, u.email);
        }
    }
    Ok(())
}

async fn token(action: TokenAction, config: &Config) -> Result<(), AppError> {
    let db = open(config).await?;
    match action {
        TokenAction::Create { email, name, scopes, expires_in_days } => {
            let scopes = scopes
                .split(',')
                .filter(|s| !s.trim().is_empty())
                .map(|s| {
                    Scope::parse(s).ok_or_else(|| {
                        AppError::bad_input(format!("scope `{}`: one of read_drafts, write, publish, admin", s.trim()))
                    })
                })
                .collect::<Result<Vec<_>, _>>()?;
            let expires = expires_in_days.map(|d| chrono::Duration::days(i64::from(d)));
            let (t, value) =
                accounts::create_api_token(&db, Actor::system("chorus token create"), &email, &name, &scopes, expires)
                    .await?;
            eprintln!("token {} created; it is shown once, store it now:", t.id);
            println!("{value}");
        }
        TokenAction::List => {
            let tokens = accounts::list_api_tokens(&db).await?;
            if tokens.is_empty() {
                println!(
                    "no API tokens yet; create one with `chorus token create --email ... --name ... --scopes ...`"
                );
            }
            for t in tokens {
                let state = if t.revoked_at.is_some() { "revoked" } else { "active" };
                let expires = t.expires_at.map(|e| e.to_rfc3339()).unwrap_or_else(|| "never".into());
                let used = t.last_used_at.map(|e| e.to_rfc3339()).unwrap_or_else(|| "never".into());
                println!(
                    "{}\t{}\tuser {}\t{}\texpires {expires}\tlast used {used}\t{state}",
                    t.id, t.name, t.user_id, t.scopes
                );
            }
        }
        TokenAction::Revoke { id } => {
            accounts::revoke_api_token(&db, Actor::system("chorus token revoke"), id).await?;
            println!("token {id} revoked");
        }
    }
    Ok(())
}

fn print_partner_key(k: &crate::partners::PartnerKey) {
    let state = match k.state(chrono::Utc::now()) {
        crate::partners::KeyState::Active => "active",
        crate::partners::KeyState::Expired => "expired",
        crate::partners::KeyState::Revoked => "revoked",
    };
    let or_any = |v: String| if v.is_empty() { "any".to_owned() } else { v };
    let s = &k.scope;
    println!(
        "{}\t{}…\t{}\t{}\torigins {}\tlocales {}\tregions {}\tkinds {}\ttopics {}\tprogrammes {}\t{}/min burst {}\texpires {}",
        k.id,
        k.prefix,
        state,
        k.description,
        k.origins.join(" "),
        or_any(s.locales.join(",")),
        or_any(s.regions.join(",")),
        or_any(s.kinds.join(",")),
        or_any(s.topics.join(",")),
        or_any(s.programmes.iter().map(ToString::to_string).collect::<Vec<_>>().join(",")),
        k.rate_per_minute,
        k.burst,
        k.expires_at.map(|e| e.to_rfc3339()).unwrap_or_else(|| "never".into()),
    );
}

async fn partner_key(action: PartnerKeyAction, config: &Config) -> Result<(), AppError> {
    use crate::partners;
    let db = open(config).await?;
    let locales = config.locales().map_err(|e| AppError::internal(format!("locales: {e}")))?;
    match action {
        PartnerKeyAction::Create(args) => {
            let settings = args.into_settings()?;
            let (k, value) =
                partners::create(&db, &locales, &config.embed, Actor::system("chorus partner-key create"), settings)
                    .await?;
            eprintln!("partner key {} created; it is shown once, give it to the partner now:", k.id);
            println!("{value}");
        }
        PartnerKeyAction::List => {
            let keys = partners::list(&db).await?;
            if keys.is_empty() {
                println!(
                    "no partner keys yet; create one with `chorus partner-key create --description ... --origin https://...`"
                );
            }
            for k in &keys {
                print_partner_key(k);
            }
        }
        PartnerKeyAction::Update { id, settings } => {
            let settings = settings.into_settings()?;
            let k = partners::update(
                &db,
                &locales,
                &config.embed,
                Actor::system("chorus partner-key update"),
                id,
                settings,
            )
            .await?;
            print_partner_key(&k);
        }
        PartnerKeyAction::Rotate { id } => {
            let (k, value) = partners::rotate(&db, Actor::system("chorus partner-key rotate"), id).await?;
            eprintln!("partner key {} has a new value; the old one no longer works. Shown once:", k.id);
            println!("{value}");
        }
        PartnerKeyAction::Revoke { id } => {
            partners::revoke(&db, Actor::system("chorus partner-key revoke"), id).await?;
            println!("partner key {id} revoked");
        }
        PartnerKeyAction::Usage { id, days } => {
            println!("day\trequests\tzero results\trate limited");
            for u in partners::usage(&db, id, days.clamp(1, 366)).await? {
                println!("{}\t{}\t{}\t{}", u.day, u.requests, u.zero_results, u.rate_limited);
            }
        }
    }
    Ok(())
}
