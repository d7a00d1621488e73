//! Bare actix-web reference for the tessera JWKS benchmarks (bench/scaling.sh,
//! bench/jwks_callgrind.sh).
//!
//! Serves the bytes of a file at `GET /.well-known/jwks.json` with the headers tessera
//! sends there (`Content-Type`, `Cache-Control`, `ETag`), from memory, with no
//! middleware: what actix-web itself costs for the same response. Every other path is
//! actix's own 404.
//!
//! Usage: bare-jwks JWKS_FILE LISTEN_ADDR [WORKERS]   (WORKERS: 0 or absent = one per core)

use actix_web::http::header::{self, HeaderValue};
use actix_web::web::Bytes;
use actix_web::{web, App, HttpResponse, HttpServer};

#[derive(Clone)]
struct Jwks {
    body: Bytes,
    etag: HeaderValue,
    cache_control: HeaderValue,
}

async fn jwks(doc: web::Data<Jwks>) -> HttpResponse {
    HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, doc.cache_control.clone()))
        .insert_header((header::ETAG, doc.etag.clone()))
        .content_type("application/json")
        .body(doc.body.clone())
}

fn usage() -> ! {
    eprintln!("usage: bare-jwks JWKS_FILE LISTEN_ADDR [WORKERS]");
    std::process::exit(2)
}

#[actix_web::main]
async fn main() -> std::io::Result<()> {
    let mut args = std::env::args().skip(1);
    let (Some(file), Some(listen)) = (args.next(), args.next()) else {
        usage()
    };
    let workers = match args.next().map(|w| w.parse::<usize>()) {
        None | Some(Ok(0)) => std::thread::available_parallelism().map_or(1, |n| n.get()),
        Some(Ok(n)) => n,
        Some(Err(_)) => usage(),
    };
    let body = Bytes::from(std::fs::read(&file)?);
    // A fixed strong ETag of the same length as tessera's (a quoted hash).
    let etag = HeaderValue::from_static("\"bare-jwks-0123456789abcdef0123456789abcdef\"");
    let doc = web::Data::new(Jwks {
        body,
        etag,
        cache_control: HeaderValue::from_static("public, max-age=300"),
    });
    HttpServer::new(move || {
        App::new()
            .app_data(doc.clone())
            .route("/.well-known/jwks.json", web::get().to(jwks))
    })
    .workers(workers)
    .bind(listen)?
    .run()
    .await
}
