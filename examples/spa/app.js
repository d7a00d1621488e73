// tessera example single-page app: authorization code flow with PKCE (RFC 7636, S256),
// OpenID Connect nonce, tokens in memory only, refresh on 401, RP-initiated logout.
//
// Settings come from /config.json (serve.py writes it): issuer, client_id, scope,
// api_url, redirect_uri, post_logout_redirect_uri. The client is public (no secret).
//
// Tokens live in the variable `tokens` only, never in localStorage or sessionStorage:
// a script injected into this origin could read storage long after the page is gone,
// and a reload simply means signing in again (the authority's session cookie makes
// that one redirect, without a password). Only the PKCE verifier, state and nonce of
// a sign-in in progress go to sessionStorage, because they must survive the redirect
// to the authority and back; they are removed as soon as the answer arrives.
'use strict';

let config = null;
let discovery = null;
let tokens = null; // { access_token, refresh_token, id_token, sub }
let refreshes = 0;

const $ = (id) => document.getElementById(id);

function base64url(bytes) {
  let text = '';
  for (const b of new Uint8Array(bytes)) text += String.fromCharCode(b);
  return btoa(text).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

function randomToken(byteCount) {
  const bytes = new Uint8Array(byteCount);
  crypto.getRandomValues(bytes);
  return base64url(bytes);
}

async function s256(text) {
  const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(text));
  return base64url(digest);
}

// The payload of a JWT, unverified: the SPA only reads the id_token it just received
// over TLS from the token endpoint (OpenID Connect Core §3.1.3.7 lets a client skip the
// signature then); the API is the one that verifies signatures.
function jwtClaims(jwt) {
  const part = jwt.split('.')[1].replace(/-/g, '+').replace(/_/g, '/');
  const padded = part + '='.repeat((4 - (part.length % 4)) % 4);
  const bytes = Uint8Array.from(atob(padded), (c) => c.charCodeAt(0));
  return JSON.parse(new TextDecoder().decode(bytes));
}

async function postForm(url, fields) {
  // A form body keeps this a CORS "simple" request: no preflight.
  const response = await fetch(url, { method: 'POST', body: new URLSearchParams(fields) });
  const body = await response.json().catch(() => ({}));
  if (!response.ok) {
    const err = new Error(body.error_description || body.error || `HTTP ${response.status}`);
    err.code = body.error;
    throw err;
  }
  return body;
}

function show(state) {
  const signedIn = tokens !== null;
  $('sign-in').hidden = signedIn;
  $('call-api').hidden = !signedIn;
  $('sign-out').hidden = !signedIn;
  $('status').textContent = state || (signedIn ? `Signed in as ${tokens.sub}` : 'Signed out');
  $('refreshes').textContent = String(refreshes);
}

function showError(message) {
  const box = $('error');
  box.textContent = message;
  box.hidden = false;
}

async function signIn() {
  const pending = { verifier: randomToken(32), state: randomToken(16), nonce: randomToken(16) };
  sessionStorage.setItem('pending_sign_in', JSON.stringify(pending));
  const url = new URL(discovery.authorization_endpoint);
  url.search = new URLSearchParams({
    response_type: 'code',
    client_id: config.client_id,
    redirect_uri: config.redirect_uri,
    scope: config.scope,
    state: pending.state,
    nonce: pending.nonce,
    code_challenge: await s256(pending.verifier),
    code_challenge_method: 'S256',
  }).toString();
  window.location.assign(url.toString());
}

async function completeSignIn(params) {
  const pending = JSON.parse(sessionStorage.getItem('pending_sign_in') || 'null');
  sessionStorage.removeItem('pending_sign_in');
  // The code must not stay in the address bar or the history.
  window.history.replaceState(null, '', '/');
  if (!pending || params.get('state') !== pending.state) {
    throw new Error('This answer does not belong to a sign-in started here (state mismatch).');
  }
  // RFC 9207: the answer names the authority that sent it.
  if (params.get('iss') !== discovery.issuer) {
    throw new Error('The answer came from another issuer.');
  }
  if (params.get('error')) {
    throw new Error(`Sign-in failed: ${params.get('error')} ${params.get('error_description') || ''}`);
  }
  const answer = await postForm(discovery.token_endpoint, {
    grant_type: 'authorization_code',
    code: params.get('code') || '',
    redirect_uri: config.redirect_uri,
    client_id: config.client_id,
    code_verifier: pending.verifier,
  });
  const claims = jwtClaims(answer.id_token);
  const audience = Array.isArray(claims.aud) ? claims.aud : [claims.aud];
  if (claims.iss !== discovery.issuer || !audience.includes(config.client_id)) {
    throw new Error('The id_token was not issued to this app.');
  }
  if (claims.nonce !== pending.nonce) {
    throw new Error('The id_token does not answer this sign-in (nonce mismatch).');
  }
  tokens = {
    access_token: answer.access_token,
    refresh_token: answer.refresh_token,
    id_token: answer.id_token,
    sub: claims.sub,
  };
}

async function refresh() {
  const answer = await postForm(discovery.token_endpoint, {
    grant_type: 'refresh_token',
    refresh_token: tokens.refresh_token,
    client_id: config.client_id,
  });
  // Rotation: the old refresh token is spent, keep the new one.
  tokens.access_token = answer.access_token;
  tokens.refresh_token = answer.refresh_token;
  if (answer.id_token) tokens.id_token = answer.id_token;
  refreshes += 1;
}

async function callApi() {
  const send = () => fetch(`${config.api_url}/api/hello`, {
    headers: { Authorization: `Bearer ${tokens.access_token}` },
  });
  let response = await send();
  if (response.status === 401) {
    // Most likely the access token expired: rotate once and try again.
    await refresh();
    response = await send();
  }
  const body = await response.json().catch(() => ({}));
  if (!response.ok) throw new Error(`API answered ${response.status}: ${body.error || ''}`);
  $('api-result').textContent = body.message;
  show();
}

function signOut() {
  const state = randomToken(16);
  sessionStorage.setItem('pending_sign_out', state);
  const url = new URL(discovery.end_session_endpoint);
  url.search = new URLSearchParams({
    id_token_hint: tokens.id_token,
    post_logout_redirect_uri: config.post_logout_redirect_uri,
    state,
  }).toString();
  tokens = null;
  window.location.assign(url.toString());
}

function completeSignOut(params) {
  const expected = sessionStorage.getItem('pending_sign_out');
  sessionStorage.removeItem('pending_sign_out');
  window.history.replaceState(null, '', '/');
  if (!expected || params.get('state') !== expected) {
    throw new Error('Unexpected sign-out answer (state mismatch).');
  }
}

function guarded(action) {
  return () => action().catch((err) => {
    showError(err.message);
    show();
  });
}

async function start() {
  config = await (await fetch('/config.json')).json();
  const wellKnown = `${config.issuer.replace(/\/$/, '')}/.well-known/openid-configuration`;
  discovery = await (await fetch(wellKnown)).json();

  $('sign-in').addEventListener('click', guarded(signIn));
  $('call-api').addEventListener('click', guarded(callApi));
  $('sign-out').addEventListener('click', guarded(async () => signOut()));

  const params = new URLSearchParams(window.location.search);
  if (window.location.pathname === '/callback') {
    show('Signing in…');
    await completeSignIn(params);
  } else if (window.location.pathname === '/signed-out') {
    completeSignOut(params);
  }
  show();
}

document.addEventListener('DOMContentLoaded', () => {
  start().catch((err) => {
    showError(err.message);
    show();
  });
});
