#!/usr/bin/python3
"""Tests of forwarding_cpu.py on made-up `perf script` text and loop files.

  python3 -m unittest discover -s bench/lib -p 'test_*.py'
"""
import io
import os
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import forwarding_cpu  # noqa: E402

SCRIPT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "forwarding_cpu.py")

# Call chains, innermost first, as perf prints them.
IDLE = ["pv_native_safe_halt", "default_idle", "cpuidle_enter", "do_idle", "cpu_startup_entry"]
COPY_SENT = ["_raw_spin_unlock_irqrestore", "sock_def_readable", "netlink_unicast", "__nfulnl_send",
             "nfulnl_log_packet", "nf_log_packet", "nft_do_chain", "nf_hook_slow"]
COPY_BUILT = ["__nla_reserve", "nfulnl_log_packet", "nf_log_packet", "nft_do_chain", "nf_hook_slow"]
CT_EVENT = ["nla_put", "ctnetlink_conntrack_event", "nf_ct_deliver_cached_events", "nf_hook_slow"]
QUEUED = ["__nfqnl_enqueue_packet", "nfqnl_enqueue_packet", "nf_queue", "nf_hook_slow"]
HELPER = ["skb_copy_bits", "help", "nf_confirm", "nf_hook_slow"]
RULES = ["nft_lookup_eval", "nft_do_chain", "nf_hook_slow"]
OTHER_HELP = ["help", "something_else"]  # a `help` not called from nf_confirm
USER = ["[unknown]"]


def sample(comm, t, period, event, chain, trace=""):
    head = "%16s %5d %f: %10d %s: %s" % (comm, 100, t, period, event, trace)
    return [head] + ["\t%016x %s" % (0xffffffff81000000 + i, sym) for i, sym in enumerate(chain)] + [""]


def waking(waker, t, chain, wakee="pinholed"):
    return sample(waker, t, 1, "sched:sched_waking", chain, "comm=%s pid=7 prio=120 target_cpu=001" % wakee)


class ParseTests(unittest.TestCase):
    def setUp(self):
        self.windows = [(10.0, 11.0, ("kernel", "session", "v4")), (20.0, 21.0, ("pinholed", "session", "v4"))]

    def parse(self, lines):
        return forwarding_cpu.parse(io.StringIO("\n".join(lines) + "\n"), self.windows)

    def test_paths_are_told_apart_and_idle_is_not_busy(self):
        lines = []
        for chain in (COPY_SENT, COPY_BUILT, CT_EVENT, QUEUED, HELPER, RULES, OTHER_HELP, USER):
            lines += sample("python3", 20.5, 1000, "cpu-clock/freq=5000/", chain)
        lines += sample("swapper", 20.6, 3000, "cpu-clock/freq=5000/", IDLE)
        idle, busy, paths, _ = self.parse(lines)
        key = ("pinholed", "session", "v4")
        self.assertEqual(idle[key], 3000)
        self.assertEqual(busy[key], 8000)
        self.assertEqual(dict(paths[key]), {"copies sent": 1000, "copies built": 1000, "ct events": 1000,
                                            "queued SYNs": 1000, "FTP helper": 1000, "other rules": 1000})

    def test_samples_outside_every_loop_count_nowhere(self):
        lines = sample("python3", 15.0, 1000, "cpu-clock", RULES) + sample("python3", 9.99, 1000, "cpu-clock", RULES)
        idle, busy, paths, wakes = self.parse(lines)
        self.assertEqual((sum(idle.values()), sum(busy.values()), len(paths), len(wakes)), (0, 0, 0, 0))

    def test_each_sample_goes_to_its_own_loop(self):
        lines = sample("vsftpd", 10.5, 1000, "cpu-clock", RULES) + sample("vsftpd", 20.0, 2000, "cpu-clock", RULES)
        _, busy, _, _ = self.parse(lines)
        self.assertEqual(busy[("kernel", "session", "v4")], 1000)
        self.assertEqual(busy[("pinholed", "session", "v4")], 2000)

    def test_wakeups_by_cause_and_whose_packet(self):
        lines = (waking("vsftpd", 20.1, COPY_SENT) + waking(":4242", 20.2, COPY_SENT) + waking("python3", 20.3, COPY_SENT)
                 + waking("curl", 20.4, CT_EVENT) + waking("python3", 20.5, QUEUED) + waking("bash", 20.6, ["futex_wake"]))
        _, busy, _, wakes = self.parse(lines)
        self.assertEqual(sum(busy.values()), 0)  # wakeups are not CPU time
        self.assertEqual(dict(wakes[("pinholed", "session", "v4")]),
                         {"copy (server, other)": 2, "copy (client)": 1, "ct event (client)": 1,
                          "queued SYN (client)": 1, "other (server, other)": 1})


class CommandLineTests(unittest.TestCase):
    """The script as bench/forwarding-cpu runs it: loop files, offsets, perf's text on stdin."""

    def run_script(self, run_dir, offsets, stdin, *flags):
        return subprocess.run([sys.executable, SCRIPT, run_dir, offsets, *flags], input=stdin,
                              capture_output=True, text=True)

    def test_per_transfer_figures_from_loop_files(self):
        with tempfile.TemporaryDirectory() as d:
            # realtime 1000.0 was monotonic 10.0 before the run and 10.2 after it (a slew).
            offsets = os.path.join(d, "offsets")
            with open(offsets, "w") as f:
                f.write("1000.0 10.0\n1100.0 110.2\n")
            run_dir = os.path.join(d, "latest")
            os.mkdir(run_dir)
            with open(os.path.join(run_dir, "pinholed-session-v4.r1"), "w") as f:
                f.write("0.000500\n0.000400\nfail timed out\n0.000450\n")  # 3 transfers, one failure
            with open(os.path.join(run_dir, "pinholed-session-v4.r1.meta"), "w") as f:
                f.write("syn_retrans=0\nstart_s=1010.0\nend_s=1011.0\nexit=0\n")
            with open(os.path.join(run_dir, "kernel-session-v4.r1.meta"), "w") as f:
                f.write("syn_retrans=0\nexit=0\n")  # an older run's file: no times, skipped
            # Realtime 1010.0-1011.0 is monotonic 20.02-21.022.
            text = "\n".join(sample("python3", 20.5, 300000, "cpu-clock", COPY_SENT)
                             + sample("python3", 20.01, 300000, "cpu-clock", COPY_SENT)  # before the loop
                             + waking("vsftpd", 20.6, COPY_SENT) + waking("vsftpd", 20.7, COPY_SENT)
                             + waking("vsftpd", 20.8, COPY_SENT)) + "\n"
            out = self.run_script(run_dir, offsets, text)
            self.assertEqual(out.returncode, 0, out.stderr)
            row = next(line for line in out.stdout.splitlines() if line.strip().startswith("session v4 pinholed")
                       and "copy" not in line)
            # 300 us of CPU 0 over 3 transfers: 100 us per transfer, busy and copies sent.
            self.assertEqual(row.split()[3:6], ["0.0", "100.0", "100.0"])
            self.assertIn("copy (server, other) 1.00", out.stdout)
            self.assertIn("(transfers per row: 3)", out.stdout)

            quiet = self.run_script(run_dir, offsets, text, "--no-wakeups")
            self.assertIn("not recorded", quiet.stdout)
            self.assertNotIn("copy (server, other)", quiet.stdout)

    def test_bad_arguments_and_missing_times_are_refused(self):
        with tempfile.TemporaryDirectory() as d:
            offsets = os.path.join(d, "offsets")
            with open(offsets, "w") as f:
                f.write("1000.0 10.0\n")
            self.assertNotEqual(self.run_script(d, offsets, "", "--what").returncode, 0)
            out = self.run_script(d, offsets, "")
            self.assertNotEqual(out.returncode, 0)
            self.assertIn("needs two lines", out.stderr)
            with open(offsets, "a") as f:
                f.write("1100.0 110.0\n")
            out = self.run_script(d, offsets, "")
            self.assertNotEqual(out.returncode, 0)
            self.assertIn("no loop", out.stderr)


if __name__ == "__main__":
    unittest.main()
