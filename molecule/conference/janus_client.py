# Copyright: rainbow.edge contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Lab only: a WebRTC client of Janus (aiortc) for the conference scenario's tests.

Signals over Janus's HTTP API (through the public load balancer) and sends
real media: aiortc's synthetic audio and video tracks, over ICE and
DTLS-SRTP to the conferencing server's WAN address.

  janus_client.py URL echo SECONDS
      the echo test: sends audio and video, counts the frames Janus sends back.
  janus_client.py URL room SECONDS
      the video room: makes a room (with the room admin key), a publisher sends
      audio and video, a subscriber receives them; counts the subscriber's frames.

Reads APISECRET and ROOMKEY from the environment, CA (the Edge's CA file)
too. Prints one JSON object: the frames received by kind, Janus's SDP
answer candidates (typ, address), and the room (room mode).
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import re
import ssl
import sys
import time
import urllib.request

from aiortc import RTCPeerConnection, RTCSessionDescription
from aiortc.mediastreams import AudioStreamTrack, VideoStreamTrack

_CANDIDATE = re.compile(r"^a=candidate:\S+ \d+ udp \d+ (\S+) (\d+) typ (\S+)", re.M | re.I)


class Janus:
    """Janus's HTTP API: one session, long polls for its events."""

    def __init__(self, url: str, secret: str, ca: str):
        self.url, self.secret = url.rstrip("/"), secret
        self.context = ssl.create_default_context(cafile=ca)
        self.session = self._call(self.url, {"janus": "create"})["data"]["id"]
        self.events: list = []

    def _call(self, url: str, body: dict | None = None) -> dict:
        data = None
        if body is not None:
            body = dict(body, transaction="t%d" % random.getrandbits(48), apisecret=self.secret)
            data = json.dumps(body).encode()
        request = urllib.request.Request(url, data=data, headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(request, context=self.context, timeout=40) as answer:
            result = json.loads(answer.read())
        if isinstance(result, dict) and result.get("janus") == "error":
            raise RuntimeError("Janus error %s" % json.dumps(result["error"]))
        return result

    def attach(self, plugin: str) -> int:
        return self._call("%s/%d" % (self.url, self.session), {"janus": "attach", "plugin": plugin})["data"]["id"]

    def message(self, handle: int, body: dict, jsep: dict | None = None) -> dict:
        message = {"janus": "message", "body": body}
        if jsep:
            message["jsep"] = jsep
        return self._call("%s/%d/%d" % (self.url, self.session, handle), message)

    def event(self, handle: int, want, timeout: float = 30) -> dict:
        """The first event of ``handle`` that ``want(event)`` accepts (long polls; others are kept)."""
        deadline = time.time() + timeout
        while time.time() < deadline:
            for event in self.events:
                if event.get("sender") == handle and want(event):
                    self.events.remove(event)
                    return event
            polled = self._call("%s/%d?maxev=10&apisecret=%s" % (self.url, self.session, self.secret))
            self.events += polled if isinstance(polled, list) else [polled]
        raise TimeoutError("no awaited event from handle %d in %d s" % (handle, timeout))

    def destroy(self) -> None:
        try:
            self._call("%s/%d" % (self.url, self.session), {"janus": "destroy"})
        except Exception:  # pylint: disable=broad-except  # the server may be gone (a failover test)
            pass


async def call(function, *args):
    """A blocking call of the signalling, off the event loop (ICE and DTLS go on meanwhile)."""
    return await asyncio.get_running_loop().run_in_executor(None, function, *args)


async def _count(track, counts: dict, deadline: float) -> None:
    while time.time() < deadline:
        try:
            await asyncio.wait_for(track.recv(), timeout=max(0.1, deadline - time.time()))
        except Exception:  # pylint: disable=broad-except  # timeout or the track ended
            return
        counts[track.kind] = counts.get(track.kind, 0) + 1


async def _negotiate(janus: Janus, handle: int, body: dict, pc: RTCPeerConnection) -> dict:
    """Sends our offer with ``body``; applies Janus's answer; returns the answer."""
    await pc.setLocalDescription(await pc.createOffer())
    await call(janus.message, handle, body, {"type": pc.localDescription.type, "sdp": pc.localDescription.sdp})
    event = await call(janus.event, handle, lambda e: "jsep" in e)
    await pc.setRemoteDescription(RTCSessionDescription(sdp=event["jsep"]["sdp"], type=event["jsep"]["type"]))
    return event


def _candidates(sdp: str) -> list:
    return [{"address": address, "port": int(port), "typ": typ} for address, port, typ in _CANDIDATE.findall(sdp)]


async def echo(janus: Janus, seconds: float) -> dict:
    handle = await call(janus.attach, "janus.plugin.echotest")
    pc = RTCPeerConnection()
    counts: dict = {}
    tasks = []
    deadline = time.time() + seconds + 15

    @pc.on("track")
    def on_track(track):
        tasks.append(asyncio.ensure_future(_count(track, counts, deadline)))

    pc.addTrack(AudioStreamTrack())
    pc.addTrack(VideoStreamTrack())
    answer = await _negotiate(janus, handle, {"audio": True, "video": True}, pc)
    await asyncio.sleep(seconds)
    for task in tasks:
        task.cancel()
    await pc.close()
    return {"frames": counts, "candidates": _candidates(answer["jsep"]["sdp"]),
            "ice": pc.iceConnectionState}


async def room(janus: Janus, seconds: float, admin_key: str) -> dict:
    number = random.randint(10 ** 6, 10 ** 9)
    owner = await call(janus.attach, "janus.plugin.videoroom")
    created = await call(janus.message, owner,
                         {"request": "create", "room": number, "admin_key": admin_key, "publishers": 4})
    data = created["plugindata"]["data"]
    if data.get("videoroom") != "created":
        raise RuntimeError("room not made: %s" % json.dumps(data))
    publisher = await call(janus.attach, "janus.plugin.videoroom")
    await call(janus.message, publisher, {"request": "join", "ptype": "publisher", "room": number, "display": "lab"})
    joined = await call(janus.event, publisher,
                        lambda e: e.get("plugindata", {}).get("data", {}).get("videoroom") == "joined")
    feed = joined["plugindata"]["data"]["id"]
    sender = RTCPeerConnection()
    sender.addTrack(AudioStreamTrack())
    sender.addTrack(VideoStreamTrack())
    published = await _negotiate(janus, publisher, {"request": "publish"}, sender)
    # The feed can be subscribed to once its PeerConnection is up.
    await call(janus.event, publisher, lambda e: e.get("janus") == "webrtcup")

    subscriber = await call(janus.attach, "janus.plugin.videoroom")
    await call(janus.message, subscriber, {"request": "join", "ptype": "subscriber", "room": number, "feed": feed})
    offer = await call(janus.event, subscriber,
                       lambda e: "jsep" in e or "error" in json.dumps(e.get("plugindata", {})))
    if "jsep" not in offer:
        raise RuntimeError("subscribing refused: %s" % json.dumps(offer))
    receiver = RTCPeerConnection()
    counts: dict = {}
    tasks = []
    deadline = time.time() + seconds + 15

    @receiver.on("track")
    def on_track(track):
        tasks.append(asyncio.ensure_future(_count(track, counts, deadline)))

    await receiver.setRemoteDescription(RTCSessionDescription(sdp=offer["jsep"]["sdp"], type=offer["jsep"]["type"]))
    await receiver.setLocalDescription(await receiver.createAnswer())
    await call(janus.message, subscriber, {"request": "start", "room": number},
               {"type": receiver.localDescription.type, "sdp": receiver.localDescription.sdp})
    await asyncio.sleep(seconds)
    for task in tasks:
        task.cancel()
    await sender.close()
    await receiver.close()
    await call(janus.message, owner, {"request": "destroy", "room": number, "admin_key": admin_key})
    return {"frames": counts, "room": number, "candidates": _candidates(published["jsep"]["sdp"])}


def main() -> int:
    url, mode, seconds = sys.argv[1], sys.argv[2], float(sys.argv[3])
    janus = Janus(url, os.environ["APISECRET"], os.environ["CA"])
    try:
        if mode == "echo":
            result = asyncio.run(echo(janus, seconds))
        else:
            result = asyncio.run(room(janus, seconds, os.environ["ROOMKEY"]))
    finally:
        janus.destroy()
    result["session"] = janus.session
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
