#!/usr/bin/env python3
"""A user-space stand-in for netem: bridges two interfaces of one network
namespace frame by frame, with seeded loss, delay, jitter, reordering and
duplication. The kernel of the integration machines has no sch_netem.

    ip netns exec NS python3 impairment_relay.py --ifaces r0 r1 \\
        --loss 3 --delay 20 --reorder 5 --seed 1

Every frame received on one interface is sent out of the other one through
AF_PACKET raw sockets (ETH_P_ALL, one socket bound to each interface). The
impairments apply to both directions independently, each frame drawing from one
random generator seeded by --seed:

  --loss PCT      drop the frame (ARP frames are never dropped, so neighbour
                  resolution stays reliable; they are still delayed)
  --delay MS      fixed one-way delay
  --jitter MS     extra uniform random delay in [0, MS) per frame (reorders)
  --reorder PCT   hold the frame back by one extra --delay (at least 1 ms)
  --duplicate PCT send the frame twice

Requirements on the caller, all inside the relay's namespace:
  - both interfaces up and without addresses (IPv6 off), so the namespace's own
    kernel stays silent: frames it sends would be relayed too. The relay brings
    the interfaces up itself if `ip` is there.
  - promiscuous mode: the relay asks for it through PACKET_ADD_MEMBERSHIP
    (PACKET_MR_PROMISC), which ends with the sockets, so nothing needs undoing.
  - no offloads that make frames bigger than the MTU: the relay runs
    `ethtool -K IF gro off gso off tso off lro off` on both interfaces if ethtool
    exists. The hosts at both ends must send finished frames too (`ethtool -K
    eth0 tx off tso off gso off`, as tools/lab.py does for its hosts): a frame
    whose checksum the sender left to offload is relayed with that checksum
    unfilled and dropped by the receiver.

It prints "impairment_relay: ready ..." to stderr once both sockets are bound.
On SIGTERM or SIGINT it prints one line "impairment_relay: counters {JSON}" to
stderr and exits 0; SIGUSR1 prints the same line and carries on. The counters:
received (frames read), forwarded (frames sent, duplicates included), dropped
(by --loss), held_back (by --reorder), reordered (frames that left after a
frame of the same direction that arrived later: --reorder and --jitter both
cause it), duplicated, send_errors, kernel_drops (frames the kernel dropped
because the relay's socket buffer was full: loss on top of --loss), queued
(frames still waiting at exit) and per direction counts.
"""

import argparse
import heapq
import json
import os
import random
import selectors
import shutil
import signal
import socket
import struct
import subprocess
import sys
import time

ETH_P_ALL = 0x0003
SOL_PACKET = 263
PACKET_ADD_MEMBERSHIP = 1
PACKET_MR_PROMISC = 1
PACKET_STATISTICS = 6
PACKET_IGNORE_OUTGOING = 23   # Linux 4.20+
PACKET_OUTGOING = 4           # sll_pkttype of frames this host sent
ARP = b"\x08\x06"
FRAME_MAX = 65536 + 64        # generous: a frame larger than the MTU is relayed whole
BATCH = 512                   # frames read from one socket before timers are looked at
SOCKET_BUFFER = 16 << 20


class Stop(Exception):
    pass


class Side:
    """One interface: its socket, the socket frames received here leave by, and stats."""

    __slots__ = ("name", "sock", "out", "received", "forwarded", "last_seq", "impaired")

    def __init__(self, name: str):
        self.name = name
        self.sock = open_socket(name)
        self.out = None
        self.received = 0
        self.forwarded = 0    # frames sent out of this side's interface
        self.last_seq = -1    # highest arrival number released toward this side


def open_socket(ifname: str) -> socket.socket:
    # Protocol 0 first: the socket receives nothing until it is bound to its interface.
    sock = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, 0)
    for opt, force in ((socket.SO_RCVBUF, 33), (socket.SO_SNDBUF, 32)):  # SO_*BUFFORCE
        try:
            sock.setsockopt(socket.SOL_SOCKET, force, SOCKET_BUFFER)
        except OSError:
            sock.setsockopt(socket.SOL_SOCKET, opt, SOCKET_BUFFER)
    try:
        sock.setsockopt(SOL_PACKET, PACKET_IGNORE_OUTGOING, 1)
    except OSError:
        pass  # older kernel: the sll_pkttype check below does the job
    sock.bind((ifname, ETH_P_ALL))
    ifindex = socket.if_nametoindex(ifname)
    sock.setsockopt(SOL_PACKET, PACKET_ADD_MEMBERSHIP,
                    struct.pack("iHH8s", ifindex, PACKET_MR_PROMISC, 0, b""))
    # Blocking for send (a full socket buffer waits instead of dropping); every
    # receive passes MSG_DONTWAIT.
    sock.setblocking(True)
    return sock


def prepare_interface(ifname: str) -> None:
    if shutil.which("ip"):
        subprocess.run(["ip", "link", "set", "dev", ifname, "up"], capture_output=True)
    if shutil.which("ethtool"):
        # One feature per call: a feature veth cannot change ("[fixed]") must not
        # keep the others from changing.
        for feature in ("gro", "gso", "tso", "lro"):
            subprocess.run(["ethtool", "-K", ifname, feature, "off"], capture_output=True)


class Relay:
    def __init__(self, args):
        self.rng = random.Random(args.seed)
        self.loss = args.loss / 100.0
        self.delay = args.delay / 1000.0
        self.jitter = args.jitter / 1000.0
        self.reorder = args.reorder / 100.0
        self.hold = max(self.delay, 0.001)
        self.duplicate = args.duplicate / 100.0
        self.args = args
        for ifname in args.ifaces:
            prepare_interface(ifname)
        self.a = Side(args.ifaces[0])
        self.b = Side(args.ifaces[1])
        self.a.out, self.b.out = self.b, self.a
        # --one-way: like netem on one veth, only frames that arrive on A (and
        # leave on B) are impaired; the other direction is forwarded at once.
        self.a.impaired = True
        self.b.impaired = not args.one_way
        self.heap = []
        self.seq = 0
        self.dropped = 0
        self.held_back = 0
        self.reordered = 0
        self.duplicated = 0
        self.send_errors = 0
        self.kernel_drops = 0
        self.started = time.monotonic()

    # the hot path

    def drain(self, side: Side, now: float) -> None:
        """Read what is waiting on `side` (up to BATCH frames) and schedule it."""
        recvfrom = side.sock.recvfrom
        heap = self.heap
        out = side.out
        rng = self.rng
        loss, reorder, duplicate = self.loss, self.reorder, self.duplicate
        release = now + self.delay
        jitter = self.jitter
        immediate = not (self.delay or jitter or reorder)
        if not getattr(side, "impaired", True):
            loss = reorder = duplicate = 0.0
            jitter = 0.0
            immediate = True
        for _ in range(BATCH):
            try:
                frame, addr = recvfrom(FRAME_MAX, socket.MSG_DONTWAIT)
            except BlockingIOError:
                return
            except InterruptedError:
                continue
            if addr[2] == PACKET_OUTGOING:
                continue
            side.received += 1
            if loss and rng.random() < loss and frame[12:14] != ARP:
                self.dropped += 1
                continue
            copies = 1
            if duplicate and rng.random() < duplicate:
                copies = 2
                self.duplicated += 1
            if immediate:
                for _ in range(copies):
                    self.send(out, frame)
                continue
            t = release
            if jitter:
                t += rng.random() * jitter
            if reorder and rng.random() < reorder:
                t += self.hold
                self.held_back += 1
            for _ in range(copies):
                heapq.heappush(heap, (t, self.seq, out, frame))
                self.seq += 1

    def send(self, out: Side, frame: bytes) -> None:
        try:
            out.sock.send(frame)
            out.forwarded += 1
        except OSError:
            self.send_errors += 1

    def release_due(self, now: float) -> None:
        heap = self.heap
        while heap and heap[0][0] <= now:
            _, seq, out, frame = heapq.heappop(heap)
            if seq < out.last_seq:
                self.reordered += 1
            else:
                out.last_seq = seq
            self.send(out, frame)

    def run(self) -> None:
        sel = selectors.DefaultSelector()
        sel.register(self.a.sock, selectors.EVENT_READ, self.a)
        sel.register(self.b.sock, selectors.EVENT_READ, self.b)
        heap = self.heap
        monotonic = time.monotonic
        print(f"impairment_relay: ready {self.a.name} <-> {self.b.name} pid {os.getpid()} "
              f"loss {self.args.loss}% delay {self.args.delay} ms jitter {self.args.jitter} ms "
              f"reorder {self.args.reorder}% duplicate {self.args.duplicate}% "
              f"seed {self.args.seed}", file=sys.stderr, flush=True)
        while True:
            timeout = None
            if heap:
                timeout = heap[0][0] - monotonic()
                if timeout <= 0:
                    self.release_due(monotonic())
                    timeout = 0
            for key, _ in sel.select(timeout):
                self.drain(key.data, monotonic())
            if heap:
                self.release_due(monotonic())

    # reporting

    def poll_kernel_drops(self) -> None:
        for side in (self.a, self.b):
            try:
                # struct tpacket_stats {tp_packets, tp_drops}; reading resets it.
                _, drops = struct.unpack("II", side.sock.getsockopt(SOL_PACKET, PACKET_STATISTICS, 8))
                self.kernel_drops += drops
            except OSError:
                pass

    def counters(self) -> dict:
        self.poll_kernel_drops()
        a, b = self.a, self.b
        return {
            "received": a.received + b.received,
            "forwarded": a.forwarded + b.forwarded,
            "dropped": self.dropped,
            "held_back": self.held_back,
            "reordered": self.reordered,
            "duplicated": self.duplicated,
            "send_errors": self.send_errors,
            "kernel_drops": self.kernel_drops,
            "queued": len(self.heap),
            f"received_{a.name}": a.received,
            f"received_{b.name}": b.received,
            f"forwarded_{a.name}": a.forwarded,
            f"forwarded_{b.name}": b.forwarded,
            "seconds": round(time.monotonic() - self.started, 3),
        }

    def report(self) -> None:
        print("impairment_relay: counters " + json.dumps(self.counters()), file=sys.stderr,
              flush=True)


def percent(text: str) -> float:
    value = float(text)
    if not 0 <= value <= 100:
        raise argparse.ArgumentTypeError(f"{text} is not a percentage 0..100")
    return value


def milliseconds(text: str) -> float:
    value = float(text)
    if not 0 <= value <= 60000:
        raise argparse.ArgumentTypeError(f"{text} is not 0..60000 ms")
    return value


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description="relay frames between two interfaces, impaired")
    ap.add_argument("--ifaces", nargs=2, required=True, metavar=("A", "B"))
    ap.add_argument("--loss", type=percent, default=0.0, metavar="PCT")
    ap.add_argument("--delay", type=milliseconds, default=0.0, metavar="MS")
    ap.add_argument("--jitter", type=milliseconds, default=0.0, metavar="MS")
    ap.add_argument("--reorder", type=percent, default=0.0, metavar="PCT")
    ap.add_argument("--duplicate", type=percent, default=0.0, metavar="PCT")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--one-way", action="store_true",
                    help="impair only frames from the first interface to the second, as netem on one veth does")
    args = ap.parse_args(argv)
    if args.ifaces[0] == args.ifaces[1]:
        ap.error("the two interfaces must differ")

    relay = None

    def on_stop(signum, frame):
        raise Stop()

    def on_usr1(signum, frame):
        if relay is not None:
            relay.report()

    signal.signal(signal.SIGTERM, on_stop)
    signal.signal(signal.SIGINT, on_stop)
    signal.signal(signal.SIGUSR1, on_usr1)
    try:
        relay = Relay(args)
        relay.run()
    except Stop:
        pass
    except OSError as e:
        print(f"impairment_relay: {e}", file=sys.stderr, flush=True)
        if relay is not None:
            relay.report()
        return 1
    if relay is not None:
        # Stop the signal handlers from interrupting the report itself.
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        relay.report()
    return 0


if __name__ == "__main__":
    sys.exit(main())
