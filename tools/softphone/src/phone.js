// Rampart lab softphone: JsSIP over WSS to Rampart, WebRTC media through Rampart to the lab PBX.
// Lab/demo only. The page's whole behaviour is in window.rampartPhone (below), which the UI calls
// and which tests/integration/webrtc drives from headless Chromium, so the test exercises the
// same SIP stack and WebRTC code a person uses.
//
// Bundled at build time with esbuild (jssip ships no browser bundle); no CDN.
import JsSIP from 'jssip';

const MAX_EVENTS = 500;
const PC_CONFIG = { iceServers: [], bundlePolicy: 'max-bundle', rtcpMuxPolicy: 'require' };
// The microphone, with the browser's echo cancellation, noise suppression and gain control
// unless options.audioProcessing is false (the tests then send a known signal unaltered).
function media() {
  const raw = { echoCancellation: false, noiseSuppression: false, autoGainControl: false };
  return { audio: options.audioProcessing ? true : raw, video: false };
}

// --- state ----------------------------------------------------------------------------------

const state = {
  config: null, // /lab/config.json: {wss, domain, users, echo, ca_url, token_url, turn_url}
  user: null,
  ua: 'idle', // idle | connecting | connected | disconnected
  registered: false,
  registration: null, // {status, reason} of the last REGISTER outcome
  lastError: null,
};
const events = []; // [{t, event, ...}] newest last, bounded
const calls = new Map(); // id -> call record (below)
let ua = null;
let nextId = 1;
let currentId = null; // the call the UI shows
let pendingOptions = null; // options of the outgoing call being created (read in newRTCSession)
let lastTokenTtl = null; // seconds, of the last lab token
let renewTimer = null;
const options = { hangupOnMediaFailure: true, dtmfTransport: 'RFC2833', audioProcessing: true };

function log(event, fields = {}) {
  const e = { t: Date.now(), event, ...fields };
  events.push(e);
  if (events.length > MAX_EVENTS) events.splice(0, events.length - MAX_EVENTS);
  ui.log(e);
  return e;
}

// --- SDP helpers ----------------------------------------------------------------------------

// Flips every byte of each a=fingerprint so the certificate no longer matches (security tests).
function mungeFingerprint(sdp) {
  return sdp.replace(/^(a=fingerprint:\S+ )([0-9A-Fa-f:]+)/gm, (m, head, hex) => {
    const flipped = hex.split(':').map((b) => (0xff ^ parseInt(b, 16)).toString(16).toUpperCase().padStart(2, '0'));
    return head + flipped.join(':');
  });
}

function sdpAttr(sdp, name) {
  const m = sdp && sdp.match(new RegExp(`^a=${name}:(.*)$`, 'm'));
  return m ? m[1].trim() : null;
}

// --- statistics -----------------------------------------------------------------------------

async function summarize(pc) {
  if (!pc) return null;
  const report = await pc.getStats();
  const by = new Map();
  report.forEach((s) => by.set(s.id, s));
  const out = { inbound: null, outbound: null, remoteInbound: null, transport: null, pair: null, codec: null };
  report.forEach((s) => {
    if (s.kind && s.kind !== 'audio') return;
    if (s.type === 'inbound-rtp') out.inbound = s;
    else if (s.type === 'outbound-rtp') out.outbound = s;
    else if (s.type === 'remote-inbound-rtp') out.remoteInbound = s;
    else if (s.type === 'transport') out.transport = s;
  });
  const t = out.transport;
  const pair = t && t.selectedCandidatePairId ? by.get(t.selectedCandidatePairId) : null;
  const codec = by.get((out.inbound && out.inbound.codecId) || (out.outbound && out.outbound.codecId));
  const cand = (id) => {
    const c = id && by.get(id);
    return c ? { address: c.address || c.ip, port: c.port, protocol: c.protocol, type: c.candidateType } : null;
  };
  const i = out.inbound || {};
  const o = out.outbound || {};
  const ri = out.remoteInbound || {};
  const rtt = ri.roundTripTime ?? (pair ? pair.currentRoundTripTime : undefined);
  return {
    codec: codec ? `${codec.mimeType.replace(/^audio\//, '')}/${codec.clockRate}` : null,
    payloadType: codec ? codec.payloadType : null,
    packetsSent: o.packetsSent ?? 0,
    bytesSent: o.bytesSent ?? 0,
    packetsReceived: i.packetsReceived ?? 0,
    bytesReceived: i.bytesReceived ?? 0,
    packetsLost: i.packetsLost ?? 0,
    jitterMs: i.jitter !== undefined ? Math.round(i.jitter * 10000) / 10 : null,
    remoteLoss: ri.fractionLost ?? null,
    rttMs: rtt !== undefined ? Math.round(rtt * 10000) / 10 : null,
    audioLevel: i.audioLevel ?? null,
    iceState: t ? t.iceState : pc.iceConnectionState,
    iceConnectionState: pc.iceConnectionState,
    connectionState: pc.connectionState,
    dtlsState: t ? t.dtlsState : null,
    dtlsRole: t ? t.dtlsRole : null,
    tlsVersion: t ? t.tlsVersion : null,
    dtlsCipher: t ? t.dtlsCipher : null,
    srtpCipher: t ? t.srtpCipher : null,
    iceRole: t ? t.iceRole : null,
    localCandidate: pair ? cand(pair.localCandidateId) : null,
    remoteCandidate: pair ? cand(pair.remoteCandidateId) : null,
    pairState: pair ? pair.state : null,
  };
}

// --- calls ----------------------------------------------------------------------------------

function newCall(session, direction, opts = {}) {
  const id = nextId++;
  const c = {
    id,
    session,
    direction, // outgoing | incoming
    peer: session.remote_identity ? session.remote_identity.uri.toString() : null,
    state: direction === 'incoming' ? 'incoming' : 'calling',
    status: null, // last SIP status seen for the INVITE (provisional or final)
    reason: null, // its reason phrase when the call failed
    sdpError: null, // why the browser refused the remote SDP, if it did
    cause: null,
    endedBy: null, // local | remote | system
    muted: false,
    munge: opts.munge || null, // 'local' | 'remote' fingerprint munging (security tests)
    localSdp: null,
    remoteSdp: null,
    iceHistory: [],
    connHistory: [],
    dtlsHistory: [],
    restarts: 0,
    dtmfSent: '',
    dtmfReceived: '', // digits the far side sent as SIP INFO
    startedAt: Date.now(),
    answeredAt: null,
    endedAt: null,
  };
  calls.set(id, c);
  currentId = id;
  const setState = (s, extra = {}) => {
    c.state = s;
    log(`call.${s}`, { id, ...extra });
    ui.render();
  };
  session.on('progress', (e) => {
    c.status = e.response ? e.response.status_code : c.status;
    setState(c.direction === 'incoming' ? 'incoming' : 'ringing', { status: c.status });
  });
  session.on('accepted', (e) => {
    c.status = e.response ? e.response.status_code : 200;
    c.answeredAt = Date.now();
    setState('answered', { status: c.status });
  });
  session.on('confirmed', () => setState('confirmed'));
  session.on('ended', (e) => {
    c.endedBy = e.originator;
    c.cause = e.cause;
    c.endedAt = Date.now();
    setState('ended', { originator: e.originator, cause: e.cause });
    detachAudio(c);
  });
  session.on('failed', (e) => {
    c.endedBy = e.originator;
    c.cause = e.cause;
    if (e.message && e.message.status_code) {
      c.status = e.message.status_code;
      c.reason = e.message.reason_phrase;
    }
    c.endedAt = Date.now();
    setState('failed', { originator: e.originator, cause: e.cause, status: c.status });
    detachAudio(c);
  });
  session.on('sdp', (e) => {
    if (c.munge === e.originator) {
      e.sdp = mungeFingerprint(e.sdp);
      log('sdp.munged', { id, originator: e.originator });
    }
    if (e.originator === 'local') c.localSdp = e.sdp;
    else c.remoteSdp = e.sdp;
  });
  session.on('peerconnection', (e) => watchPc(c, e.peerconnection));
  if (session.connection) watchPc(c, session.connection);
  session.on('peerconnection:setremotedescriptionfailed', (err) => {
    c.sdpError = String(err && err.message ? err.message : err);
    log('call.sdp-rejected', { id, error: c.sdpError });
  });
  session.on('muted', () => { c.muted = true; ui.render(); });
  session.on('unmuted', () => { c.muted = false; ui.render(); });
  session.on('newDTMF', (e) => {
    if (e.originator === 'remote') c.dtmfReceived += e.dtmf.tone;
    log('call.dtmf', { id, originator: e.originator, tone: e.dtmf.tone });
  });
  session.on('reinvite', () => log('call.reinvite', { id }));
  log('call.new', { id, direction, peer: c.peer });
  ui.render();
  return c;
}

function watchPc(c, pc) {
  if (c.pc === pc) return;
  c.pc = pc;
  pc.addEventListener('iceconnectionstatechange', () => {
    c.iceHistory.push(pc.iceConnectionState);
    log('ice', { id: c.id, state: pc.iceConnectionState });
    ui.render();
  });
  pc.addEventListener('connectionstatechange', () => {
    c.connHistory.push(pc.connectionState);
    log('pc', { id: c.id, state: pc.connectionState });
    const dtls = pc.getSenders()[0] && pc.getSenders()[0].transport;
    if (dtls) c.dtlsHistory.push(dtls.state);
    if (pc.connectionState === 'failed' && options.hangupOnMediaFailure && !c.endedAt) {
      log('call.media-failed', { id: c.id });
      hangup(c.id, 'media failed');
    }
    ui.render();
  });
  pc.addEventListener('track', (e) => {
    if (c.id === currentId) attachAudio(e.streams[0] || new MediaStream([e.track]));
  });
}

function attachAudio(stream) {
  const el = document.getElementById('remote-audio');
  if (el && el.srcObject !== stream) el.srcObject = stream;
}
function detachAudio(c) {
  if (c.id !== currentId) return;
  const el = document.getElementById('remote-audio');
  if (el) el.srcObject = null;
}

function pick(id) {
  const c = calls.get(id === undefined || id === null ? currentId : id);
  if (!c) throw new Error(`no call ${id ?? '(current)'}`);
  return c;
}

function publicCall(c) {
  const { session, pc, ...rest } = c; // eslint-disable-line no-unused-vars
  return {
    ...rest,
    localUfrag: sdpAttr(c.localSdp, 'ice-ufrag'),
    remoteUfrag: sdpAttr(c.remoteSdp, 'ice-ufrag'),
    remoteSetup: sdpAttr(c.remoteSdp, 'setup'),
    remoteFingerprint: sdpAttr(c.remoteSdp, 'fingerprint'),
  };
}

// --- the UA ---------------------------------------------------------------------------------

async function loadConfig() {
  if (state.config) return state.config;
  const r = await fetch('/lab/config.json', { cache: 'no-store' });
  if (!r.ok) throw new Error(`/lab/config.json: HTTP ${r.status}`);
  state.config = await r.json();
  return state.config;
}

// A short-lived lab token for USER from the lab server's demo-only endpoint.
async function labToken(user) {
  const cfg = await loadConfig();
  const r = await fetch(cfg.token_url, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ user }),
    cache: 'no-store',
  });
  const body = await r.json().catch(() => ({}));
  if (!r.ok) throw new Error(`lab token for ${user}: HTTP ${r.status} ${body.error || ''}`.trim());
  lastTokenTtl = Number(body.expires_in) || null;
  return body.token;
}

// TURN REST credentials for USER from the realm's endpoint (config turn_url, on the WSS
// listener's origin): a cross-origin GET with the same JWT as WSS, so the browser's CORS rules
// apply. Resolves with {username, credential, ttl, uris}; rejects when the fetch or the answer
// fails (a missing CORS grant surfaces as a TypeError from fetch).
async function turnCredentials({ user, token } = {}) {
  const cfg = await loadConfig();
  if (!cfg.turn_url) throw new Error('this realm serves no TURN credentials (no turn_url)');
  const jwt = token || (await labToken(user));
  const r = await fetch(cfg.turn_url, { headers: { Authorization: `Bearer ${jwt}` }, cache: 'no-store' });
  const body = await r.json().catch(() => ({}));
  if (!r.ok) throw new Error(`TURN credentials: HTTP ${r.status} ${body.error || ''}`.trim());
  log('turn.credentials', { username: body.username, ttl: body.ttl, uris: body.uris });
  return body;
}

// Gathers ICE candidates through the TURN servers of CREDS only (iceTransportPolicy relay) and
// resolves with the first relay candidate {address, port, protocol}, or null after MS.
async function relayCandidate(creds, ms = 5000) {
  const pc = new RTCPeerConnection({
    iceServers: [{ urls: creds.uris, username: creds.username, credential: creds.credential }],
    iceTransportPolicy: 'relay',
  });
  try {
    const found = new Promise((resolve) => {
      pc.onicecandidate = (e) => {
        if (!e.candidate) resolve(null);
        else if (e.candidate.type === 'relay') {
          resolve({ address: e.candidate.address, port: e.candidate.port, protocol: e.candidate.protocol });
        }
      };
      setTimeout(() => resolve(null), ms);
    });
    pc.addTransceiver('audio', { direction: 'sendrecv' });
    await pc.setLocalDescription(await pc.createOffer());
    return await found;
  } finally {
    pc.close();
  }
}

function waitFor(predicate, ms, what) {
  return new Promise((resolve, reject) => {
    const t0 = Date.now();
    const tick = () => {
      let v;
      try {
        v = predicate();
      } catch (err) {
        reject(err);
        return;
      }
      if (v) resolve(v);
      else if (Date.now() - t0 > ms) reject(new Error(`timeout after ${ms} ms waiting for ${what}`));
      else setTimeout(tick, 50);
    };
    tick();
  });
}

// Connects (and, unless register is false, registers) USER. Resolves with the REGISTER outcome
// {status, reason}; rejects when registration fails.
async function register({ user, password, token, register: doRegister = true, wss, timeoutMs = 10000 } = {}) {
  const cfg = await loadConfig();
  if (!user) throw new Error('register: user is required');
  if (ua) await stop();
  state.user = user;
  state.registered = false;
  state.registration = null;
  state.lastError = null;
  lastTokenTtl = null;
  const jwt = token || (await labToken(user));
  const base = wss || cfg.wss;
  const url = `${base}${base.includes('?') ? '&' : '?'}token=${encodeURIComponent(jwt)}`;
  const socket = new JsSIP.WebSocketInterface(url);
  ua = new JsSIP.UA({
    sockets: [socket],
    uri: `sip:${user}@${cfg.domain}`,
    password: password || undefined,
    authorization_user: user,
    display_name: user,
    register: false,
    register_expires: 600,
    session_timers: true,
    user_agent: 'Rampart-lab-softphone (JsSIP)',
  });
  const thisUa = ua;
  ua.on('connecting', () => { state.ua = 'connecting'; log('ws.connecting'); ui.render(); });
  ua.on('connected', () => { state.ua = 'connected'; log('ws.connected'); ui.render(); });
  ua.on('disconnected', (e) => {
    if (thisUa !== ua) return;
    state.ua = 'disconnected';
    state.registered = false;
    log('ws.disconnected', { code: e && e.code, reason: e && e.reason });
    ui.render();
  });
  ua.on('registered', (e) => {
    if (thisUa !== ua) return;
    state.registered = true;
    state.registration = { status: e.response.status_code, reason: e.response.reason_phrase };
    log('registered', state.registration);
    ui.render();
  });
  ua.on('unregistered', () => {
    if (thisUa !== ua) return;
    state.registered = false;
    log('unregistered');
    ui.render();
  });
  ua.on('registrationFailed', (e) => {
    if (thisUa !== ua) return;
    state.registered = false;
    state.registration = {
      status: e.response ? e.response.status_code : null,
      reason: e.response ? e.response.reason_phrase : e.cause,
    };
    state.lastError = `registration failed: ${state.registration.status || ''} ${state.registration.reason}`;
    log('registration.failed', state.registration);
    ui.render();
  });
  ua.on('newRTCSession', (e) => {
    if (e.originator === 'remote') {
      const c = newCall(e.session, 'incoming');
      log('incoming', { id: c.id, from: c.peer });
    } else {
      newCall(e.session, 'outgoing', pendingOptions || {});
    }
  });
  ua.start();
  await waitFor(() => state.ua === 'connected' || state.ua === 'disconnected', timeoutMs, 'WebSocket');
  if (state.ua !== 'connected') {
    state.lastError = `WebSocket to ${base} failed (certificate not trusted? token refused?)`;
    ui.render();
    throw new Error(state.lastError);
  }
  if (!doRegister) return { status: null, reason: 'connected without REGISTER' };
  ua.register();
  await waitFor(() => state.registration, timeoutMs, 'REGISTER outcome');
  if (!state.registered) throw new Error(state.lastError);
  if (lastTokenTtl) scheduleRenewal({ user, password, wss }, lastTokenTtl);
  return state.registration;
}

// Rampart refuses requests on a connection whose token has expired, so shortly before that the
// page connects and registers again with a fresh lab token (waiting while a call is up).
function scheduleRenewal(again, ttlS) {
  clearTimeout(renewTimer);
  const delayMs = Math.max(30, ttlS - 120) * 1000;
  const attempt = () => {
    if ([...calls.values()].some((c) => !c.endedAt)) {
      renewTimer = setTimeout(attempt, 30000);
      return;
    }
    log('token.renew', { user: again.user });
    register(again).catch((err) => {
      state.lastError = `renewal failed: ${err.message}`;
      ui.render();
    });
  };
  renewTimer = setTimeout(attempt, delayMs);
}

async function unregister() {
  if (!ua) return;
  ua.unregister({ all: false });
  await waitFor(() => !state.registered, 5000, 'unregistered').catch(() => {});
}

async function stop() {
  clearTimeout(renewTimer);
  if (!ua) return;
  const old = ua;
  ua = null;
  old.stop();
  state.ua = 'idle';
  state.registered = false;
  ui.render();
}

// Calls TARGET (a number or user, or a full SIP URI). Returns the call id at once; use
// waitCall(id, ...) or the state to follow it. opts.munge: 'local' corrupts the fingerprint of
// the offer sent, 'remote' the one of the answer received (security tests).
function call(target, opts = {}) {
  if (!ua) throw new Error('not connected: register first');
  const cfg = state.config;
  const uri = /^sips?:/.test(target) ? target : `sip:${target}@${cfg.domain}`;
  pendingOptions = opts;
  let session;
  try {
    session = ua.call(uri, {
      mediaConstraints: media(),
      pcConfig: PC_CONFIG,
      rtcOfferConstraints: { offerToReceiveAudio: true, offerToReceiveVideo: false },
    });
  } finally {
    pendingOptions = null;
  }
  const c = [...calls.values()].find((x) => x.session === session);
  return c.id;
}

function answer(id) {
  const c = pick(id);
  if (c.direction !== 'incoming') throw new Error(`call ${c.id} is not incoming`);
  if (c.state !== 'incoming') throw new Error(`call ${c.id} is ${c.state}, not ringing`);
  c.state = 'answering';
  c.session.answer({ mediaConstraints: media(), pcConfig: PC_CONFIG });
  currentId = c.id;
  return c.id;
}

function hangup(id, why) {
  const c = pick(id);
  if (c.endedAt) return false;
  if (why) log('call.hangup', { id: c.id, why });
  c.session.terminate();
  return true;
}

function mute(id, on = true) {
  const c = pick(id);
  if (on) c.session.mute({ audio: true });
  else c.session.unmute({ audio: true });
  c.muted = on;
  ui.render();
  return c.muted;
}

function dtmf(digits, id) {
  const c = pick(id);
  c.session.sendDTMF(String(digits), { transportType: options.dtmfTransport, duration: 100, interToneGap: 70 });
  c.dtmfSent += String(digits);
  return c.dtmfSent;
}

// Sends a re-INVITE with new ICE credentials (an ICE restart). Resolves when its answer is
// applied; rejects on failure (JsSIP then ends the call).
function restartIce(id, timeoutMs = 10000) {
  const c = pick(id);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('ICE restart: no answer in time')), timeoutMs);
    const started = c.session.renegotiate({ rtcOfferConstraints: { iceRestart: true } }, () => {
      clearTimeout(timer);
      c.restarts += 1;
      log('call.ice-restarted', { id: c.id });
      resolve(publicCall(c));
    });
    if (!started) {
      clearTimeout(timer);
      reject(new Error(`ICE restart not possible in state ${c.state}`));
    }
  });
}

// What the far side's audio sounds like over MS: the strongest frequency (Hz) and its level,
// and the overall level (dBFS), from a WebAudio analyser on the received track.
async function listen(id, ms = 1000) {
  const c = pick(id);
  const recv = c.session.connection.getReceivers().find((r) => r.track && r.track.kind === 'audio');
  if (!recv) throw new Error(`call ${c.id}: no audio receiver`);
  const ctx = new AudioContext();
  try {
    await ctx.resume();
    const an = ctx.createAnalyser();
    an.fftSize = 8192;
    ctx.createMediaStreamSource(new MediaStream([recv.track])).connect(an);
    const bins = new Float32Array(an.frequencyBinCount);
    const wave = new Float32Array(an.fftSize);
    const sum = new Float64Array(an.frequencyBinCount);
    let power = 0;
    let n = 0;
    for (const end = Date.now() + ms; Date.now() < end; n++) {
      await new Promise((r) => setTimeout(r, 50));
      an.getFloatFrequencyData(bins);
      an.getFloatTimeDomainData(wave);
      bins.forEach((db, i) => { sum[i] += 10 ** (db / 10); });
      power += wave.reduce((a, v) => a + v * v, 0) / wave.length;
    }
    let peak = 1;
    for (let i = 2; i < sum.length; i++) if (sum[i] > sum[peak]) peak = i;
    const db = (p) => Math.round(10 * Math.log10(Math.max(p, 1e-12)) * 10) / 10;
    return {
      peakHz: Math.round((peak * ctx.sampleRate) / an.fftSize),
      peakDb: db(sum[peak] / Math.max(n, 1)),
      levelDb: db(power / Math.max(n, 1)),
      state: ctx.state,
    };
  } finally {
    ctx.close();
  }
}

async function stats(id) {
  const c = pick(id);
  return summarize(c.session.connection);
}

function waitCall(id, states, timeoutMs = 15000) {
  const want = Array.isArray(states) ? states : [states];
  return waitFor(() => {
    const c = calls.get(id);
    return c && want.includes(c.state) ? publicCall(c) : null;
  }, timeoutMs, `call ${id} in ${want.join('|')}`).catch((err) => {
    const c = calls.get(id);
    throw new Error(`${err.message} (now ${c ? c.state : 'unknown'}, status ${c ? c.status : '-'}, cause ${c ? c.cause : '-'})`);
  });
}

window.rampartPhone = {
  version: JsSIP.version,
  options,
  get state() {
    return { ...state, calls: [...calls.values()].map(publicCall), current: currentId };
  },
  events,
  config: loadConfig,
  labToken,
  turnCredentials,
  relayCandidate,
  register,
  unregister,
  stop,
  call,
  answer,
  hangup,
  mute,
  dtmf,
  restartIce,
  stats,
  listen,
  waitCall,
  call_: (id) => publicCall(pick(id)),
  incoming: () => [...calls.values()].filter((c) => c.state === 'incoming').map((c) => c.id),
};

// --- the UI ---------------------------------------------------------------------------------

const $ = (id) => document.getElementById(id);
const ui = {
  log(e) {
    const pre = $('log');
    if (!pre) return;
    const { t, event, ...rest } = e;
    const line = `${new Date(t).toISOString().slice(11, 23)} ${event} ${Object.keys(rest).length ? JSON.stringify(rest) : ''}`;
    pre.textContent = (pre.textContent + line + '\n').split('\n').slice(-200).join('\n');
    pre.scrollTop = pre.scrollHeight;
  },
  render() {
    if (!$('status')) return;
    const c = currentId ? calls.get(currentId) : null;
    const reg = state.registered ? `registered as ${state.user}` : state.ua === 'connected' ? 'connected, not registered' : state.ua;
    $('status').textContent = `${reg}${state.lastError ? ` — ${state.lastError}` : ''}`;
    $('call-status').textContent = c ? `call ${c.id} (${c.direction}, ${c.peer || ''}): ${c.state}${c.status ? ` ${c.status}` : ''}${c.reason ? ` ${c.reason}` : ''}${c.cause ? ` — ${c.cause}` : ''}` : 'no call';
    const live = c && !c.endedAt;
    $('btn-answer').disabled = !(c && c.state === 'incoming');
    $('btn-hangup').disabled = !live;
    $('btn-mute').disabled = !live;
    $('btn-mute').textContent = c && c.muted ? 'Unmute' : 'Mute';
    $('btn-restart').disabled = !(c && c.state === 'confirmed');
    $('btn-call').disabled = !ua || state.ua !== 'connected';
    document.querySelectorAll('.key').forEach((k) => { k.disabled = !live; });
  },
  async refreshStats() {
    const c = currentId ? calls.get(currentId) : null;
    const table = $('stats');
    if (!table) return;
    if (!c || !c.session.connection || c.endedAt) {
      table.querySelectorAll('td').forEach((td) => { td.textContent = '-'; });
      return;
    }
    const s = await summarize(c.session.connection).catch(() => null);
    if (!s) return;
    const show = {
      codec: s.codec,
      packets: `${s.packetsSent} sent / ${s.packetsReceived} received`,
      loss: `${s.packetsLost} lost${s.remoteLoss !== null ? `, far end ${(s.remoteLoss * 100).toFixed(1)}%` : ''}`,
      jitter: s.jitterMs !== null ? `${s.jitterMs} ms` : null,
      rtt: s.rttMs !== null ? `${s.rttMs} ms` : null,
      ice: `${s.iceState}${s.remoteCandidate ? ` via ${s.remoteCandidate.address}:${s.remoteCandidate.port}` : ''}`,
      dtls: `${s.dtlsState || '-'}${s.tlsVersion ? ` ${s.tlsVersion}` : ''}${s.dtlsRole ? ` (${s.dtlsRole})` : ''}`,
      srtp: s.srtpCipher,
    };
    for (const [k, v] of Object.entries(show)) {
      const td = table.querySelector(`td[data-k="${k}"]`);
      if (td) td.textContent = v ?? '-';
    }
  },
};

async function guarded(fn) {
  try {
    await fn();
  } catch (err) {
    state.lastError = err.message;
    log('error', { message: err.message });
    ui.render();
  }
}

function setupUi() {
  if (!$('status')) return;
  loadConfig().then((cfg) => {
    $('wss').textContent = cfg.wss;
    $('domain').textContent = cfg.domain;
    $('ca-link').href = cfg.ca_url;
    const sel = $('user');
    for (const u of cfg.users || []) {
      const o = document.createElement('option');
      o.value = o.textContent = u;
      sel.appendChild(o);
    }
    $('target').value = cfg.echo || '600';
  }).catch((err) => { state.lastError = err.message; ui.render(); });
  $('login').addEventListener('submit', (ev) => {
    ev.preventDefault();
    guarded(() => register({ user: $('user').value, password: $('password').value }));
  });
  $('btn-unregister').addEventListener('click', () => guarded(unregister));
  $('dial').addEventListener('submit', (ev) => {
    ev.preventDefault();
    guarded(async () => { call($('target').value.trim()); });
  });
  $('btn-answer').addEventListener('click', () => guarded(async () => { answer(); }));
  $('btn-hangup').addEventListener('click', () => guarded(async () => { hangup(); }));
  $('btn-mute').addEventListener('click', () => guarded(async () => { mute(undefined, !pick().muted); }));
  $('btn-restart').addEventListener('click', () => guarded(() => restartIce()));
  document.querySelectorAll('.key').forEach((k) => {
    k.addEventListener('click', () => guarded(async () => { dtmf(k.dataset.tone); }));
  });
  if (new URLSearchParams(location.search).has('debug')) JsSIP.debug.enable('JsSIP:*');
  setInterval(() => ui.refreshStats(), 1000);
  ui.render();
}

if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', setupUi);
else setupUi();
