// usage: node bundle-check.js chrome|firefox   (RAMPART_SDP_CLI = built rampart-sdp)
const http = require('http');
const fs = require('fs');
const os = require('os');
const path = require('path');
const { execFileSync, spawn } = require('child_process');
const which = process.argv[2];
const CLI = process.env.RAMPART_SDP_CLI || 'build/ci/sdp/rampart-sdp';
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'rampart-bundle-'));
const trunk = (videoPort) => ['v=0', 'o=- 4455 4455 IN IP4 192.0.2.90', 's=-', 'c=IN IP4 192.0.2.90', 't=0 0',
  'm=audio 20020 RTP/AVP 0', 'a=rtpmap:0 PCMU/8000', 'a=sendrecv',
  `m=video ${videoPort} RTP/AVP 96`, 'a=rtpmap:96 VP8/90000', 'a=sendrecv', ''].join('\r\n');
fs.writeFileSync(tmp + '/t1.sdp', trunk(20022));
fs.writeFileSync(tmp + '/t2.sdp', trunk(0));
let offer1 = '';
const lastAnswer = (out) => out.slice(out.lastIndexOf('--- answer for leg A\n') + 21);
const server = http.createServer((req, res) => {
  let body = '';
  req.on('data', (c) => { body += c; });
  req.on('end', () => {
    const base = ['--profile', 'webrtc-to-trunk', '--b', 'video-codecs=VP8'];
    if (req.url === '/') { res.setHeader('content-type', 'text/html'); return res.end(fs.readFileSync(__dirname + '/bundle-check.html')); }
    if (req.url === '/step1') {
      offer1 = body;
      return res.end(lastAnswer(execFileSync(CLI, [...base, '--answer', tmp + '/t1.sdp'], { input: body }).toString()));
    }
    if (req.url === '/step2') {
      fs.writeFileSync(tmp + '/o2.sdp', body);
      const out = execFileSync(CLI, [...base, '--answer', tmp + '/t1.sdp', '--step', 'offer-a', tmp + '/o2.sdp',
        '--step', 'answer-b', tmp + '/t2.sdp'], { input: offer1 }).toString();
      return res.end(lastAnswer(out));
    }
    if (req.url === '/done') { console.log(which + ':\n' + body); res.end(); setTimeout(() => process.exit(0), 200); return; }
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
    await (await (await b.newContext()).newPage()).goto(url);
  } else {
    const prof = fs.mkdtempSync(path.join(os.tmpdir(), 'rampart-ff-'));
    fs.writeFileSync(prof + '/user.js', ['user_pref("media.navigator.streams.fake", true);',
      'user_pref("media.navigator.permission.disabled", true);'].join('\n'));
    const ff = spawn('firefox-esr', ['--headless', '--no-remote', '--profile', prof, url], { stdio: 'ignore' });
    process.on('exit', () => ff.kill());
  }
  setTimeout(() => { console.log('timeout'); process.exit(1); }, 60000);
});
