const { chromium } = require('playwright-core');
const fs = require('fs');
(async () => {
  const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', '--use-fake-ui-for-media-stream', '--use-fake-device-for-media-stream'] });
  const page = await (await browser.newContext()).newPage();
  await page.goto('file://' + __dirname + '/page.html');
  const sdp = await page.evaluate(async () => {
    const s = await navigator.mediaDevices.getUserMedia({ audio: true, video: true });
    const pc = new RTCPeerConnection({ bundlePolicy: 'max-bundle' });
    s.getTracks().forEach((t) => pc.addTrack(t, s));
    await pc.setLocalDescription(await pc.createOffer());
    await new Promise((r) => { pc.onicegatheringstatechange = () => { if (pc.iceGatheringState === 'complete') r(); }; setTimeout(r, 3000); });
    return pc.localDescription.sdp;
  });
  fs.writeFileSync((process.env.OUT_DIR || '/tmp/sdpcap/out/') + 'chrome-maxbundle.sdp', sdp);
  await browser.close();
})();
