//! The command line: `serve` (default), `migrate`, `keys ...`, `users add`,
//! `clients ...`.

use std::io::Read;
use std::path::PathBuf;
use std::sync::Arc;

use clap::{Parser, Subcommand};

use crate::clock::SystemClock;
use crate::config::{self, Settings};
use crate::domain::{Algorithm, Kek, RotationTrigger};
use crate::sessions::ClientRegistration;
use crate::startup::{build_state, open_database, Application, StartupError};

#[derive(Parser)]
#[command(
    name = "tessera",
    version,
    about = "A token authority: rotating signing keys, JWKS, refresh families"
)]
pub struct Cli {
    /// A TOML configuration file (also TESSERA_CONFIG).
    #[arg(long, global = true, env = "TESSERA_CONFIG")]
    pub config: Option<PathBuf>,
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Subcommand)]
pub enum Command {
    /// Run the authority (the default).
    Serve,
    /// Apply database migrations and exit.
    Migrate,
    /// Inspect and change signing keys.
    #[command(subcommand)]
    Keys(KeysCommand),
    /// Manage users.
    #[command(subcommand)]
    Users(UsersCommand),
    /// Manage OAuth clients.
    #[command(subcommand)]
    Clients(ClientsCommand),
}

#[derive(Subcommand)]
pub enum KeysCommand {
    /// Every key with its state.
    List,
    /// Promote `next` to `current` and publish a new `next`.
    Rotate {
        /// Algorithm of the new `next` key.
        #[arg(long)]
        algorithm: Option<String>,
    },
    /// Emergency revocation of one key.
    Revoke { kid: String },
    /// Re-seal every private key under a new key-encryption key.
    Rewrap {
        /// File holding the new KEK (32 bytes, base64).
        #[arg(long)]
        new_kek_file: PathBuf,
    },
}

#[derive(Subcommand)]
pub enum UsersCommand {
    /// Create a user; the password is read from standard input.
    Add {
        #[arg(long)]
        email: String,
        /// Comma separated, e.g. admin
        #[arg(long, default_value = "")]
        roles: String,
    },
}

#[derive(Subcommand)]
pub enum ClientsCommand {
    /// Register a client; prints its id and, for a confidential client, its secret (shown once).
    Add {
        #[arg(long)]
        name: String,
        /// `confidential` (default) or `public`.
        #[arg(long = "type")]
        client_type: Option<String>,
        /// A scope it may be granted; repeat for several.
        #[arg(long = "scope")]
        scopes: Vec<String>,
        /// An exact redirect URI; repeat for several.
        #[arg(long = "redirect-uri")]
        redirect_uris: Vec<String>,
        /// An exact post-logout redirect URI; repeat for several.
        #[arg(long = "post-logout-redirect-uri")]
        post_logout_redirect_uris: Vec<String>,
        /// A grant it may use; repeat for several (default by type; `password` only when named).
        #[arg(long = "grant-type")]
        grant_types: Vec<String>,
        /// Skip the consent page for its users.
        #[arg(long)]
        first_party: bool,
        /// May call the introspection endpoint.
        #[arg(long)]
        introspection: bool,
    },
    /// Every client (never a secret).
    List,
    /// Remove a client and revoke every session granted to it.
    Remove { client_id: String },
}

/// Runs the command and returns the process exit code.
pub async fn run(cli: Cli) -> i32 {
    let settings = match config::load(cli.config.as_deref()) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("tessera: invalid configuration: {e}");
            return 2;
        }
    };
    crate::telemetry::init(&settings.log);
    match execute(cli.command.unwrap_or(Command::Serve), settings).await {
        Ok(()) => 0,
        Err(e) => {
            eprintln!("tessera: {e}");
            e.exit_code()
        }
    }
}

async fn execute(command: Command, settings: Settings) -> Result<(), StartupError> {
    match command {
        Command::Serve => {
            Application::build(settings)
                .await?
                .run_until_stopped()
                .await?
        }
        Command::Migrate => {
            open_database(&settings).await?;
            println!("migrations applied");
        }
        Command::Keys(keys) => keys_command(keys, settings).await?,
        Command::Clients(clients) => clients_command(clients, settings).await?,
        Command::Users(UsersCommand::Add { email, roles }) => {
            let mut password = String::new();
            std::io::stdin().read_to_string(&mut password)?;
            let password = password.trim_end_matches(['\r', '\n']).to_owned();
            let roles = roles
                .split(',')
                .map(str::trim)
                .filter(|r| !r.is_empty())
                .map(str::to_owned)
                .collect();
            let state = build_state(settings, Arc::new(SystemClock)).await?.state;
            match state.sessions.create_user(&email, password, roles).await {
                Ok(Some(user)) => println!("{}", user.id),
                Ok(None) => {
                    return Err(StartupError::Other(format!(
                        "a user with email {email} already exists"
                    )))
                }
                Err(e) => return Err(StartupError::Other(e.to_string())),
            }
        }
    }
    Ok(())
}

async fn keys_command(command: KeysCommand, settings: Settings) -> Result<(), StartupError> {
    let state = build_state(settings, Arc::new(SystemClock)).await?.state;
    let keys = &state.keys;
    let fail = |e: crate::keys::KeyError| StartupError::Other(e.to_string());
    match command {
        KeysCommand::List => {}
        KeysCommand::Rotate { algorithm } => {
            let algorithm = match algorithm {
                Some(text) => Some(text.parse::<Algorithm>().map_err(|_| {
                    StartupError::Other(format!("--algorithm: `{text}` is not ES256 or RS256"))
                })?),
                None => None,
            };
            keys.rotate(RotationTrigger::Admin, algorithm)
                .await
                .map_err(fail)?;
        }
        KeysCommand::Revoke { kid } => keys.revoke(&kid).await.map_err(fail)?,
        KeysCommand::Rewrap { new_kek_file } => {
            let text = zeroize::Zeroizing::new(std::fs::read_to_string(&new_kek_file)?);
            let new = Kek::from_base64(&text)
                .map_err(|m| StartupError::Other(format!("{}: {m}", new_kek_file.display())))?;
            let n = keys.rewrap(&new).await.map_err(fail)?;
            println!(
                "re-sealed {n} keys and the refresh-token MAC key; now point keys.kek_file at {}",
                new_kek_file.display()
            );
            return Ok(());
        }
    }
    for key in keys.list().await.map_err(fail)? {
        println!(
            "{}  {}  {:<8}  created {}",
            key.kid,
            key.alg,
            key.state.as_str(),
            key.created_at
        );
    }
    Ok(())
}

async fn clients_command(command: ClientsCommand, settings: Settings) -> Result<(), StartupError> {
    let state = build_state(settings, Arc::new(SystemClock)).await?.state;
    let sessions = &state.sessions;
    let fail = |e: crate::sessions::SessionError| StartupError::Other(e.to_string());
    match command {
        ClientsCommand::Add {
            name,
            client_type,
            scopes,
            redirect_uris,
            post_logout_redirect_uris,
            grant_types,
            first_party,
            introspection,
        } => {
            let created = sessions
                .create_client(ClientRegistration {
                    name,
                    scopes,
                    client_type,
                    redirect_uris,
                    post_logout_redirect_uris,
                    grant_types: (!grant_types.is_empty()).then_some(grant_types),
                    first_party,
                    introspection,
                })
                .await
                .map_err(fail)?;
            println!("client_id      {}", created.client.id);
            if let Some(secret) = created.client_secret {
                println!("client_secret  {secret}");
            }
        }
        ClientsCommand::List => {
            for c in sessions.list_clients().await.map_err(fail)? {
                let grants: Vec<&str> = c.grant_types.iter().map(|g| g.as_str()).collect();
                println!(
                    "{}  {:<12}  {}  grants={}  scopes={}  redirect_uris={}",
                    c.id,
                    c.client_type.as_str(),
                    c.name,
                    grants.join(","),
                    c.scopes.join(","),
                    c.redirect_uris.join(",")
                );
            }
        }
        ClientsCommand::Remove { client_id } => {
            if !sessions.remove_client(&client_id).await.map_err(fail)? {
                return Err(StartupError::Other(format!("no client {client_id}")));
            }
            println!("removed {client_id}");
        }
    }
    Ok(())
}
