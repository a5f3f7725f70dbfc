// usage: node harness.js chrome|firefox
const http = require('http');
const fs = require('fs');
const { execFileSync, spawn } = require('child_process');
const which = process.argv[2];
const CLI = process.env.RAMPART_SDP_CLI || 'build/ci/sdp/rampart-sdp';
const PBX = process.env.PBX_DIR || '/tmp/sdpcap/pbx/';  // trunk offers/answers: copy from cases/*/
const OUT = process.env.OUT_DIR || '/tmp/sdpcap/out/';
const jobs = [
  { type: 'offer', name: 'offer-audio', media: 'audio' },
  { type: 'offer', name: 'offer-av', media: 'av' },
  { type: 'offer', name: 'offer-trickle', media: 'av', trickle: true },
  { type: 'answer', name: 'answer-asterisk', trunk: 'asterisk-offer.sdp', opts: [] },
  { type: 'answer', name: 'answer-freeswitch', trunk: 'freeswitch-offer.sdp', opts: [] },
  { type: 'answer', name: 'answer-cisco', trunk: 'cisco-cube-offer.sdp', opts: [] },
  { type: 'answer', name: 'answer-carrier', trunk: 'carrier-g729-offer.sdp', opts: [] },
  { type: 'answer', name: 'answer-dual', trunk: 'dual-srtp-offer.sdp', opts: ['--a', 'srtp=sdes'] },
  { type: 'answer', name: 'answer-fssrtp', trunk: 'freeswitch-srtp-offer.sdp', opts: ['--a', 'srtp=sdes'] },
];
function run(args, input) {
  try { return execFileSync(CLI, args, { input }).toString(); }
  catch (e) { return 'ERROR ' + e.stderr.toString(); }
}
const server = http.createServer((req, res) => {
  let body = '';
  req.on('data', (c) => { body += c; });
  req.on('end', () => {
    const [, kind, name] = req.url.split('/');
    const job = jobs.find((j) => j.name === name);
    if (req.url === '/') { res.setHeader('content-type', 'text/html'); return res.end(fs.readFileSync(__dirname + '/page.html')); }
    if (kind === 'jobs') { return res.end(JSON.stringify(jobs)); }
    if (kind === 'log') { console.log('page:', body); return res.end(); }
    if (kind === 'offer') {
      fs.writeFileSync(`${OUT}${which}-${name}.sdp`, body);
      const out = run(['--profile', 'webrtc-to-trunk', '--answer', PBX + 'asterisk-answer.sdp'], body);
      const i = out.indexOf('--- answer for leg A\n');
      return res.end(i < 0 ? out : out.slice(i + 21));
    }
    if (kind === 'webrtc-offer') {
      const out = run(['--profile', 'trunk-to-webrtc', ...job.opts], fs.readFileSync(PBX + job.trunk));
      fs.writeFileSync(`${OUT}${which}-${name}.rampart-offer.sdp`, out);
      return res.end(out);
    }
    if (kind === 'answer') { fs.writeFileSync(`${OUT}${which}-${name}.sdp`, body); return res.end(); }
    if (kind === 'result') { console.log(which, name, body); return res.end(); }
    if (kind === 'done') { console.log('done', body); fs.writeFileSync(`${OUT}${which}-ua.txt`, body + '\n'); res.end(); setTimeout(() => process.exit(0), 200); return; }
    res.statusCode = 404; res.end();
  });
});
server.listen(0, '127.0.0.1', async () => {
  const url = `http://127.0.0.1:${server.address().port}/`;
  if (which === 'chrome') {
    const { chromium } = require('playwright-core');
    const b = await chromium.launch({ executablePath: '/usr/bin/chromium', headless: true,
      args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
        '--disable-component-update', '--disable-sync', '--use-fake-ui-for-media-stream', '--use-fake-device-for-media-stream'] });
    const p = await (await b.newContext()).newPage();
    await p.goto(url);
  } else {
    const prof = fs.mkdtempSync('/tmp/sdpcap/ffprof-');
    fs.writeFileSync(prof + '/user.js', [
      'user_pref("media.navigator.streams.fake", true);',
      'user_pref("media.navigator.permission.disabled", true);',
      'user_pref("browser.shell.checkDefaultBrowser", false);',
      'user_pref("datareporting.policy.dataSubmissionEnabled", false);',
      'user_pref("toolkit.telemetry.reportingpolicy.firstRun", false);',
      'user_pref("app.update.enabled", false);',
      'user_pref("network.captive-portal-service.enabled", false);',
      'user_pref("browser.startup.homepage_override.mstone", "ignore");',
    ].join('\n'));
    const ff = spawn('firefox-esr', ['--headless', '--no-remote', '--profile', prof, url], { stdio: 'ignore' });
    process.on('exit', () => ff.kill());
  }
  setTimeout(() => { console.log('timeout'); process.exit(1); }, 60000);
});
