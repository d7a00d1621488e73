//! The command line: `serve` (default), `migrate`, `keys ...`, `users add`.

use std::io::Read;
use std::path::PathBuf;
use std::sync::Arc;

use clap::{Parser, Subcommand};

use crate::clock::SystemClock;
use crate::config::{self, Settings};
use crate::domain::{Algorithm, Kek, RotationTrigger};
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
                "re-sealed {n} keys; now point keys.kek_file at {}",
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
