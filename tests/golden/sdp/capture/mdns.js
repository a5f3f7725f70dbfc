const { chromium } = require('playwright-core');
const fs = require('fs');
(async () => {
  const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'] });
  const page = await (await browser.newContext()).newPage();
  await page.goto('file://' + __dirname + '/page.html');
  const sdp = await page.evaluate(async () => {
    const pc = new RTCPeerConnection();
    pc.addTransceiver('audio');
    await pc.setLocalDescription(await pc.createOffer());
    await new Promise((r) => { pc.onicegatheringstatechange = () => { if (pc.iceGatheringState === 'complete') r(); }; setTimeout(r, 3000); });
    return pc.localDescription.sdp;
  });
  fs.writeFileSync('/tmp/sdpcap/out/chrome-mdns.sdp', sdp);
  await browser.close();
})();
