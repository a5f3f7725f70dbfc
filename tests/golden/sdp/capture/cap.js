const { chromium } = require('playwright-core');
const fs = require('fs');
(async () => {
  const browser = await chromium.launch({
    executablePath: '/usr/bin/chromium', headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync',
      '--use-fake-ui-for-media-stream', '--use-fake-device-for-media-stream'],
  });
  const ctx = await browser.newContext();
  const page = await ctx.newPage();
  await page.goto('file://' + __dirname + '/page.html');
  const version = browser.version();
  const res = await page.evaluate(async () => {
    const out = {};
    async function gather(pc) {
      await new Promise((resolve) => {
        if (pc.iceGatheringState === 'complete') return resolve();
        pc.addEventListener('icegatheringstatechange', () => {
          if (pc.iceGatheringState === 'complete') resolve();
        });
        setTimeout(resolve, 3000);
      });
      return pc.localDescription.sdp;
    }
    // audio-only with a real (fake-device) track: full candidates
    let stream = await navigator.mediaDevices.getUserMedia({ audio: true, video: true });
    let pc = new RTCPeerConnection();
    pc.addTrack(stream.getAudioTracks()[0], stream);
    await pc.setLocalDescription(await pc.createOffer());
    out.audio = await gather(pc);
    pc.close();
    pc = new RTCPeerConnection();
    stream.getTracks().forEach((t) => pc.addTrack(t, stream));
    await pc.setLocalDescription(await pc.createOffer());
    out.av = await gather(pc);
    pc.close();
    // trickle: offer before gathering
    pc = new RTCPeerConnection();
    stream.getTracks().forEach((t) => pc.addTrack(t, stream));
    out.trickle = (await pc.createOffer()).sdp;
    pc.close();
    // simulcast
    pc = new RTCPeerConnection();
    pc.addTrack(stream.getAudioTracks()[0], stream);
    pc.addTransceiver(stream.getVideoTracks()[0], { streams: [stream], sendEncodings: [
      { rid: 'q', scaleResolutionDownBy: 4 }, { rid: 'h', scaleResolutionDownBy: 2 }, { rid: 'f' }] });
    await pc.setLocalDescription(await pc.createOffer());
    out.simulcast = await gather(pc);
    pc.close();
    stream.getTracks().forEach((t) => t.stop());
    // mDNS: no getUserMedia permission in a fresh context -> host candidates are .local
    return out;
  });
  for (const [k, v] of Object.entries(res)) fs.writeFileSync(`/tmp/sdpcap/out/chrome-${k}.sdp`, v);
  // mDNS in a fresh context without media permission
  const ctx2 = await browser.newContext();
  const p2 = await ctx2.newPage();
  await p2.goto('file://' + __dirname + '/page.html');
  const mdns = await p2.evaluate(async () => {
    const pc = new RTCPeerConnection();
    pc.addTransceiver('audio');
    await pc.setLocalDescription(await pc.createOffer());
    await new Promise((r) => { pc.onicegatheringstatechange = () => { if (pc.iceGatheringState === 'complete') r(); }; setTimeout(r, 3000); });
    return pc.localDescription.sdp;
  });
  fs.writeFileSync('/tmp/sdpcap/out/chrome-mdns.sdp', mdns);
  // answer: feed an offer given as file argv[2]
  if (process.argv[2]) {
    const offer = fs.readFileSync(process.argv[2], 'utf8');
    const ans = await p2.evaluate(async (o) => {
      const pc = new RTCPeerConnection();
      try {
        await pc.setRemoteDescription({ type: 'offer', sdp: o });
        const s = await navigator.mediaDevices.getUserMedia({ audio: true }).catch(() => null);
        if (s) { pc.getTransceivers()[0].sender.replaceTrack(s.getAudioTracks()[0]); pc.getTransceivers()[0].direction = 'sendrecv'; }
        await pc.setLocalDescription(await pc.createAnswer());
        return pc.localDescription.sdp;
      } catch (e) { return 'ERROR ' + e.message; }
    }, offer);
    fs.writeFileSync('/tmp/sdpcap/out/chrome-answer.sdp', ans);
  }
  fs.writeFileSync('/tmp/sdpcap/out/version.txt', version + '\n');
  await browser.close();
})().catch((e) => { console.error(e); process.exit(1); });
