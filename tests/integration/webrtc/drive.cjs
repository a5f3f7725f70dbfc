#!/usr/bin/env node
// Drives the lab softphone page (tools/softphone) in Debian's headless Chromium with
// playwright-core, one command per stdin line, for webrtc_test.sh. Every command acts through the
// page's own window.rampartPhone (its JsSIP stack and RTCPeerConnections) and answers one line on
// stdout:  "#<seq> ok <message>"  or  "#<seq> fail <message>".  Logs go to stderr.
//
// usage: node drive.cjs --url URL --profile DIR [--max-seconds 280] [--trace DIR] [--loopback 1]
//                       [--fake-audio WAV]
// commands (one per line, words separated by spaces; NAME names a call, PAGE a page):
//   <seq> open PAGE [URL]                a new tab on URL (default --url); waits for rampartPhone
//   <seq> turn PAGE USER                 the page fetches TURN credentials for USER (lab token,
//                                        cross-origin GET with the JWT) and gathers a relay
//                                        candidate through them (iceTransportPolicy relay)
//   <seq> noturn PAGE USER               the same fetch must fail, with Chromium reporting a CORS
//                                        refusal (not a CSP one)
//   <seq> register PAGE USER PASSWORD    REGISTER through Rampart; ok on 200
//   <seq> call PAGE NAME TARGET [local|remote]   INVITE TARGET (munging that side's fingerprint)
//   <seq> option PAGE KEY VALUE          rampartPhone.options[KEY] = VALUE (JSON)
//   <seq> answered NAME SECS             the call reaches "confirmed" (fail: its status/cause)
//   <seq> incoming PAGE NAME SECS        an incoming call arrives on PAGE; it is answered
//   <seq> ice NAME SECS                  iceConnectionState connected or completed
//   <seq> dtls NAME SECS                 getStats transport dtlsState "connected" with an SRTP cipher
//   <seq> media NAME PACKETS SECS        packetsSent and packetsReceived both grow by PACKETS
//   <seq> nomedia NAME SECS              until SECS pass or the call ends: no packet received, DTLS
//                                        and the peer connection never connected
//   <seq> restart NAME                   ICE restart (re-INVITE, new ufrag/pwd both sides)
//   <seq> dtmf NAME DIGITS               DIGITS sent: RFC 4733 through RTCDTMFSender, or SIP INFO
//                                        after `option PAGE dtmfTransport "INFO"`
//   <seq> dtmfin NAME DIGITS SECS        the far side's SIP INFO digits are exactly DIGITS
//   <seq> hear NAME HZ SECS              the received audio (WebAudio analyser) peaks at HZ
//   <seq> mute NAME on|off
//   <seq> hangup NAME                    BYE (or CANCEL) from the page
//   <seq> ended NAME local|remote|any SECS   the call ends (BYE/failure) from that side
//   <seq> stats NAME                     one line of statistics
//   <seq> quit
'use strict';

const fs = require('fs');
const path = require('path');
const readline = require('readline');
const { chromium } = require('playwright-core');

const args = {};
for (let i = 2; i < process.argv.length; i += 2) args[process.argv[i].replace(/^--/, '')] = process.argv[i + 1];
const URL_ = args.url;
const maxSeconds = Number(args['max-seconds'] || 280);
const traceDir = args.trace || null;
if (!URL_ || !args.profile) {
  console.error('usage: drive.cjs --url URL --profile DIR [--max-seconds N] [--trace DIR]');
  process.exit(2);
}

// The flags that made headless Chromium work here (../shared/design/PLATFORM-FACTS.md).
// Loopback ICE candidates only with --loopback 1 (the harness self-test calls browser to browser
// on 127.0.0.1); against Rampart the offer carries what a real browser's would: no loopback, and
// its default address (c=) is then a real interface's.
const FLAGS = [
  '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
  '--use-fake-ui-for-media-stream', '--use-fake-device-for-media-stream',
  '--ignore-certificate-errors',
];
if (args.loopback === '1') FLAGS.push('--allow-loopback-in-peer-connection');
// --fake-audio WAV: the fake microphone plays that file (looped) instead of Chromium's beeps;
// the page's WebAudio analyser (listen) needs no user gesture.
if (args['fake-audio']) FLAGS.push(`--use-file-for-fake-audio-capture=${args['fake-audio']}`);
FLAGS.push('--autoplay-policy=no-user-gesture-required');

const pages = new Map(); // PAGE -> playwright Page
const consoleLines = new Map(); // PAGE -> the page's recent console messages (bounded)
const calls = new Map(); // NAME -> {page: PAGE, id: rampartPhone call id}
let context = null;
const t0 = Date.now();
const elapsed = () => ((Date.now() - t0) / 1000).toFixed(1);
const log = (...a) => console.error(`[drive ${elapsed()}s]`, ...a);

class Fail extends Error {}
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function page(name) {
  const p = pages.get(name);
  if (!p) throw new Fail(`no page ${name}`);
  return p;
}
function callOf(name) {
  const c = calls.get(name);
  if (!c) throw new Fail(`no call ${name}`);
  return { p: page(c.page), id: c.id, page: c.page };
}
async function callState(name) {
  const { p, id } = callOf(name);
  return p.evaluate((i) => window.rampartPhone.call_(i), id);
}
async function stats(name) {
  const { p, id } = callOf(name);
  return p.evaluate((i) => window.rampartPhone.stats(i), id);
}
function describeCall(c) {
  return `state ${c.state}, SIP status ${c.status ?? '-'}${c.reason ? ` ${c.reason}` : ''}, cause ${c.cause ?? '-'}` +
    `${c.endedBy ? `, ended by ${c.endedBy}` : ''}, ICE ${c.iceHistory.join('>') || '-'}, pc ${c.connHistory.join('>') || '-'}` +
    `${c.sdpError ? `, browser refused the remote SDP: ${c.sdpError}` : ''}`;
}
function describeStats(s) {
  if (!s) return 'no stats';
  return `codec ${s.codec ?? '-'}, sent ${s.packetsSent}, received ${s.packetsReceived}, lost ${s.packetsLost}, ` +
    `jitter ${s.jitterMs ?? '-'} ms, RTT ${s.rttMs ?? '-'} ms, ICE ${s.iceState}, DTLS ${s.dtlsState ?? '-'} ` +
    `${s.tlsVersion ?? ''} ${s.dtlsRole ?? ''}, SRTP ${s.srtpCipher ?? '-'}, pair ${s.localCandidate ? `${s.localCandidate.address}:${s.localCandidate.port}` : '-'}` +
    ` -> ${s.remoteCandidate ? `${s.remoteCandidate.address}:${s.remoteCandidate.port}` : '-'}`;
}
// Polls FN (async, returns a truthy value when done) every 200 ms for at most SECS seconds.
async function until(secs, fn) {
  const end = Date.now() + secs * 1000;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) return null;
    await sleep(200);
  }
}

const ops = {
  async open(name, url) {
    if (!context) {
      context = await chromium.launchPersistentContext(args.profile, {
        executablePath: '/usr/bin/chromium', headless: true, args: FLAGS, ignoreHTTPSErrors: true,
      });
    }
    const p = await context.newPage();
    const lines = [];
    consoleLines.set(name, lines);
    p.on('console', (m) => {
      if (m.type() !== 'error' && m.type() !== 'warning') return;
      log(`${name} console.${m.type()}: ${m.text()}`);
      lines.push(m.text());
      if (lines.length > 50) lines.shift();
    });
    p.on('pageerror', (e) => log(`${name} page error: ${e.message}`));
    await p.goto(url || URL_, { timeout: 15000 });
    await p.waitForFunction(() => window.rampartPhone, null, { timeout: 20000 });
    const cfg = await p.evaluate(() => window.rampartPhone.config());
    pages.set(name, p);
    return `page ${name} loaded ${url || URL_} (JsSIP ${await p.evaluate(() => window.rampartPhone.version)}, WSS ${cfg.wss}, ` +
      `${(await context.browser()?.version()) || 'chromium'})`;
  },
  async turn(name, user) {
    const r = await page(name).evaluate(async (u) => {
      try {
        const c = await window.rampartPhone.turnCredentials({ user: u });
        return { ok: true, c, relay: await window.rampartPhone.relayCandidate(c, 8000) };
      } catch (err) {
        return { ok: false, error: `${err.name}: ${err.message}` };
      }
    }, user);
    if (!r.ok) throw new Fail(`${name}: TURN credentials for ${user}: ${r.error}`);
    const c = r.c;
    const expiry = Number(String(c.username).split(':')[0]);
    const now = Date.now() / 1000;
    if (c.username !== `${expiry}:${user}` || Math.abs(expiry - now - c.ttl) > 30) {
      throw new Fail(`${name}: username ${c.username} is not <now + ttl ${c.ttl}>:${user}`);
    }
    if (!c.credential || !(c.ttl > 0) || !Array.isArray(c.uris) || !c.uris.length) {
      throw new Fail(`${name}: incomplete credentials ${JSON.stringify(c)}`);
    }
    if (!r.relay) throw new Fail(`${name}: no relay candidate through ${c.uris.join(' ')} with ${c.username}`);
    return `${name}: username ${c.username}, credential ${c.credential.length} chars, ttl ${c.ttl}, uris ` +
      `${c.uris.join(' ')}; relay candidate ${r.relay.address}:${r.relay.port}/${r.relay.protocol}`;
  },
  async noturn(name, user) {
    const lines = consoleLines.get(name) || [];
    lines.length = 0; // only what this fetch makes the page say
    const r = await page(name).evaluate(async (u) => {
      try {
        return { ok: true, c: await window.rampartPhone.turnCredentials({ user: u }) };
      } catch (err) {
        return { ok: false, error: `${err.name}: ${err.message}` };
      }
    }, user);
    if (r.ok) throw new Fail(`${name}: got TURN credentials although its origin is not allowed: ${JSON.stringify(r.c)}`);
    await sleep(300); // the console message may trail the rejection
    const said = lines.join(' | ');
    if (!/CORS policy/.test(said) || /Content Security Policy/.test(said)) {
      throw new Fail(`${name}: the fetch failed (${r.error}) but not for CORS: console: ${said || '-'}`);
    }
    return `${name}: fetch refused (${r.error}); Chromium: ${said.slice(0, 300)}`;
  },
  async register(name, user, password) {
    const p = page(name);
    const r = await p.evaluate(async ([u, pw]) => {
      try {
        return { ok: true, reg: await window.rampartPhone.register({ user: u, password: pw }) };
      } catch (err) {
        return { ok: false, error: err.message, reg: window.rampartPhone.state.registration };
      }
    }, [user, password]);
    if (!r.ok || !r.reg || r.reg.status !== 200) {
      throw new Fail(`REGISTER ${user}: ${r.error || ''} (final ${r.reg ? `${r.reg.status} ${r.reg.reason}` : 'none'})`);
    }
    return `REGISTER ${user}: ${r.reg.status} ${r.reg.reason}`;
  },
  async option(name, key, value) {
    await page(name).evaluate(([k, v]) => { window.rampartPhone.options[k] = v; }, [key, JSON.parse(value)]);
    return `${name}: option ${key} = ${value}`;
  },
  async call(name, callName, target, munge) {
    const p = page(name);
    const id = await p.evaluate(([t, m]) => window.rampartPhone.call(t, m ? { munge: m } : {}), [target, munge || null]);
    calls.set(callName, { page: name, id });
    return `${callName}: INVITE ${target} from ${name} (call ${id}${munge ? `, ${munge} fingerprint munged` : ''})`;
  },
  async answered(callName, secs) {
    const c = await until(Number(secs), async () => {
      const s = await callState(callName);
      return ['confirmed', 'failed', 'ended'].includes(s.state) ? s : null;
    });
    const last = c || (await callState(callName));
    if (last.state !== 'confirmed') throw new Fail(`${callName}: not answered: ${describeCall(last)}`);
    return `${callName}: answered ${last.status}, confirmed (remote a=setup:${last.remoteSetup ?? '-'}, ` +
      `ice-ufrag ${last.remoteUfrag ?? '-'})`;
  },
  async incoming(name, callName, secs) {
    const p = page(name);
    const id = await until(Number(secs), () => p.evaluate(() => window.rampartPhone.incoming()[0]));
    if (!id) throw new Fail(`${name}: no incoming call within ${secs} s`);
    calls.set(callName, { page: name, id });
    await p.evaluate((i) => window.rampartPhone.answer(i), id);
    const c = await callState(callName);
    return `${callName}: incoming call ${id} from ${c.peer} answered`;
  },
  async ice(callName, secs) {
    const ok = await until(Number(secs), async () => {
      const c = await callState(callName);
      const s = await stats(callName);
      if (c.endedAt) throw new Fail(`${callName}: call ended before ICE connected: ${describeCall(c)}`);
      return s && ['connected', 'completed'].includes(s.iceConnectionState) ? s : null;
    });
    if (!ok) throw new Fail(`${callName}: ICE not connected in ${secs} s: ${describeCall(await callState(callName))}; ${describeStats(await stats(callName))}`);
    return `${callName}: ICE ${ok.iceConnectionState} (${describeStats(ok)})`;
  },
  async dtls(callName, secs) {
    const ok = await until(Number(secs), async () => {
      const s = await stats(callName);
      return s && s.dtlsState === 'connected' && s.srtpCipher ? s : null;
    });
    if (!ok) throw new Fail(`${callName}: DTLS not connected in ${secs} s: ${describeStats(await stats(callName))}; ${describeCall(await callState(callName))}`);
    return `${callName}: DTLS connected ${ok.tlsVersion ?? ''} cipher ${ok.dtlsCipher ?? '-'}, role ${ok.dtlsRole ?? '-'}, SRTP profile ${ok.srtpCipher}`;
  },
  async media(callName, packets, secs) {
    const n = Number(packets);
    const s1 = await stats(callName);
    const s2 = await until(Number(secs), async () => {
      const s = await stats(callName);
      return s && s.packetsSent >= s1.packetsSent + n && s.packetsReceived >= s1.packetsReceived + n ? s : null;
    });
    if (!s2) {
      const s = await stats(callName);
      throw new Fail(`${callName}: media did not grow by ${n} both ways in ${secs} s: sent ${s1.packetsSent}->${s.packetsSent}, ` +
        `received ${s1.packetsReceived}->${s.packetsReceived}; ${describeStats(s)}`);
    }
    return `${callName}: media both ways: sent ${s1.packetsSent}->${s2.packetsSent}, received ${s1.packetsReceived}->${s2.packetsReceived}; ${describeStats(s2)}`;
  },
  async nomedia(callName, secs) {
    // Until SECS pass or the call ends: no packet received, DTLS never connected, and the
    // peer connection never "connected" (which needs ICE and DTLS up).
    let dtlsEver = false;
    let maxRecv = 0;
    let s = null;
    const end = Date.now() + Number(secs) * 1000;
    let c = await callState(callName);
    while (Date.now() < end && !c.endedAt) {
      const now = await stats(callName).catch(() => null);
      if (now) {
        s = now;
        dtlsEver = dtlsEver || s.dtlsState === 'connected';
        maxRecv = Math.max(maxRecv, s.packetsReceived);
      }
      await sleep(250);
      c = await callState(callName);
    }
    const pcConnected = c.connHistory.includes('connected');
    if (maxRecv > 0 || dtlsEver || pcConnected) {
      throw new Fail(`${callName}: media path came up although it must not: received ${maxRecv} packets, ` +
        `DTLS connected ${dtlsEver}, peer connection connected ${pcConnected}; ${describeCall(c)}`);
    }
    return `${callName}: no media received, DTLS never connected (last: ${describeStats(s)}); ${describeCall(c)}`;
  },
  async restart(callName) {
    const { p, id } = callOf(callName);
    const before = await callState(callName);
    const r = await p.evaluate(async (i) => {
      try {
        return { ok: true, c: await window.rampartPhone.restartIce(i) };
      } catch (err) {
        return { ok: false, error: err.message };
      }
    }, id);
    if (!r.ok) throw new Fail(`${callName}: ICE restart failed: ${r.error}; ${describeCall(await callState(callName))}`);
    const after = r.c;
    if (after.localUfrag === before.localUfrag) throw new Fail(`${callName}: ICE restart offer kept ice-ufrag ${after.localUfrag}`);
    if (after.remoteUfrag === before.remoteUfrag) {
      throw new Fail(`${callName}: the answer to an ICE restart kept ice-ufrag ${after.remoteUfrag} (RFC 8839 4.4.1.1.1: it must change)`);
    }
    return `${callName}: ICE restart answered: local ufrag ${before.localUfrag}->${after.localUfrag}, remote ${before.remoteUfrag}->${after.remoteUfrag}`;
  },
  async dtmf(callName, digits) {
    const { p, id } = callOf(callName);
    const sent = await p.evaluate(([i, d]) => window.rampartPhone.dtmf(d, i), [id, digits]);
    const how = await p.evaluate(() => window.rampartPhone.options.dtmfTransport);
    await sleep(digits.length * 200 + 300);
    return `${callName}: DTMF ${sent} sent (${how === 'INFO' ? 'SIP INFO' : 'RFC 4733'})`;
  },
  // The far side's digits, received as SIP INFO, are exactly DIGITS within SECS.
  async dtmfin(callName, digits, secs) {
    const c = await until(Number(secs), async () => {
      const s = await callState(callName);
      return s.dtmfReceived === digits ? s : null;
    });
    const got = c || (await callState(callName));
    if (got.dtmfReceived !== digits) {
      throw new Fail(`${callName}: received DTMF '${got.dtmfReceived}', expected '${digits}'`);
    }
    return `${callName}: received DTMF ${digits} as SIP INFO`;
  },
  // The far side's audio, heard through a WebAudio analyser, peaks at HZ (within 3 %) at least
  // well above silence (-70 dB in the analyser's scale), within SECS.
  async hear(callName, hz, secs) {
    const { p, id } = callOf(callName);
    const want = Number(hz);
    let last = null;
    const ok = await until(Number(secs), async () => {
      last = await p.evaluate((i) => window.rampartPhone.listen(i, 1000), id);
      return Math.abs(last.peakHz - want) <= want * 0.03 && last.peakDb > -70 ? last : null;
    });
    const l = ok || last;
    const what = `peak ${l.peakHz} Hz at ${l.peakDb} dBFS, level ${l.levelDb} dBFS (audio context ${l.state})`;
    if (!ok) throw new Fail(`${callName}: expected a ${want} Hz tone from the far side, heard ${what}`);
    return `${callName}: heard ${what}`;
  },
  async mute(callName, onOff) {
    const { p, id } = callOf(callName);
    const m = await p.evaluate(([i, on]) => window.rampartPhone.mute(i, on), [id, onOff === 'on']);
    if (m !== (onOff === 'on')) throw new Fail(`${callName}: mute ${onOff} left muted=${m}`);
    return `${callName}: muted=${m}`;
  },
  async hangup(callName) {
    const { p, id } = callOf(callName);
    await p.evaluate((i) => window.rampartPhone.hangup(i), id);
    return `${callName}: hung up from the page`;
  },
  async ended(callName, who, secs) {
    const c = await until(Number(secs), async () => {
      const s = await callState(callName);
      return s.endedAt ? s : null;
    });
    if (!c) throw new Fail(`${callName}: still up after ${secs} s: ${describeCall(await callState(callName))}`);
    if (who !== 'any' && c.endedBy !== who) throw new Fail(`${callName}: ended by ${c.endedBy}, expected ${who}: ${describeCall(c)}`);
    return `${callName}: ended (${describeCall(c)})`;
  },
  async stats(callName) {
    return `${callName}: ${describeStats(await stats(callName))}`;
  },
};

async function dumpTraces() {
  if (!traceDir) return;
  for (const [name, p] of pages) {
    try {
      const ev = await p.evaluate(() => ({ events: window.rampartPhone.events, state: window.rampartPhone.state }));
      fs.writeFileSync(path.join(traceDir, `page-${name}.json`), JSON.stringify(ev, null, 1));
    } catch (err) {
      log(`trace of ${name}: ${err.message}`);
    }
  }
}

async function shutdown(code) {
  await dumpTraces().catch(() => {});
  if (context) await context.close().catch(() => {});
  process.exit(code);
}

const watchdog = setTimeout(() => {
  log(`watchdog: ${maxSeconds} s reached, closing the browser`);
  shutdown(3);
}, maxSeconds * 1000);
watchdog.unref();

const rl = readline.createInterface({ input: process.stdin });
const queue = [];
let busy = false;
async function pump() {
  if (busy) return;
  busy = true;
  while (queue.length) {
    const line = queue.shift().trim();
    if (!line) continue;
    const [seq, op, ...rest] = line.split(/\s+/);
    if (op === 'quit') {
      process.stdout.write(`#${seq} ok bye\n`);
      await shutdown(0);
    }
    let out;
    try {
      if (!ops[op]) throw new Fail(`unknown command ${op}`);
      out = `#${seq} ok ${await ops[op](...rest)}`;
    } catch (err) {
      out = `#${seq} fail ${err instanceof Fail ? err.message : `${op}: ${err.message.split('\n')[0]}`}`;
    }
    log(out);
    process.stdout.write(`${out}\n`);
  }
  busy = false;
}
rl.on('line', (l) => { queue.push(l); pump(); });
rl.on('close', () => { queue.push('0 quit'); pump(); });
