#!/usr/bin/python3
"""Tests of report.py on a made-up run directory.

  python3 -m unittest discover -s bench/lib -p 'test_*.py'
"""
import os
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import report  # noqa: E402

SCRIPT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "report.py")


def write(path, text):
    with open(path, "w") as f:
        f.write(text)


class RunDir:
    """A run of two rounds, v4 session transfers only, in a temporary directory."""

    def __init__(self, phases):
        self.tmp = tempfile.TemporaryDirectory()
        self.path = self.tmp.name
        write(os.path.join(self.path, "run.meta"),
              "n=4\nrounds=2\nfamilies=v4\nworkloads=session\nclk_tck=100\nvmhwm_kb=28000\n"
              "phases=%s\n" % " ".join(phases))

    def loop(self, phase, rnd, times, **meta):
        stem = os.path.join(self.path, "%s-session-v4.r%d" % (phase, rnd))
        write(stem, "".join("%s\n" % t for t in times))
        write(stem + ".meta", "".join("%s=%s\n" % kv for kv in meta.items()))

    def report(self):
        done = subprocess.run([sys.executable, SCRIPT, self.path], capture_output=True, text=True)
        self.tmp.cleanup()
        return done


class HeldSynTests(unittest.TestCase):
    def test_rounds_add_up_per_phase_and_the_helper_has_none(self):
        run = RunDir(["kernel", "pinholed", "pinholed_b"])
        for rnd, (held, held_b) in enumerate([(3, 11), (4, 20)], start=1):
            run.loop("kernel", rnd, [0.0004, 0.0005], syn_retrans=0, cpu_ticks=0, firewall_drops=0)
            run.loop("pinholed", rnd, [0.0004, 0.0006], syn_retrans=0, cpu_ticks=1, firewall_drops=0,
                     syns_held=held)
            run.loop("pinholed_b", rnd, [0.0004, 0.0006], syn_retrans=0, cpu_ticks=1, firewall_drops=0,
                     syns_held=held_b)
        done = run.report()
        self.assertEqual(done.returncode, 0, done.stderr)
        lines = done.stdout.splitlines()
        title = next(i for i, line in enumerate(lines) if line.startswith("Data SYNs held"))
        self.assertEqual(lines[title + 1].split(), ["kernel", "pinholed", "pinholed_b"])
        self.assertEqual(lines[title + 2].split()[-3:], ["-", "7", "31"])

    def test_a_run_without_the_count_shows_none_rather_than_zero(self):
        run = RunDir(["kernel", "pinholed"])
        for rnd in (1, 2):
            run.loop("kernel", rnd, [0.0004], syn_retrans=0)
            run.loop("pinholed", rnd, [0.0004], syn_retrans=0)  # a run from before the count
        done = run.report()
        self.assertEqual(done.returncode, 0, done.stderr)
        lines = done.stdout.splitlines()
        title = next(i for i, line in enumerate(lines) if line.startswith("Data SYNs held"))
        self.assertEqual(lines[title + 2].split()[-2:], ["-", "-"])

    def test_steal_is_a_share_of_the_loops_time_per_cpu_group(self):
        run = RunDir(["kernel", "pinholed"])
        for rnd in (1, 2):
            # 100 ticks/s: 5 ticks of CPU 0 and 1 of the rest in 0.25 s, each round.
            run.loop("kernel", rnd, [0.0004], wall_s=0.25, steal_cpu0_ticks=0, steal_other_ticks=0)
            run.loop("pinholed", rnd, [0.0004], wall_s=0.25, steal_cpu0_ticks=5, steal_other_ticks=1)
        done = run.report()
        self.assertEqual(done.returncode, 0, done.stderr)
        lines = done.stdout.splitlines()
        cpu0 = next(i for i, line in enumerate(lines) if line.startswith("CPU 0 stolen"))
        other = next(i for i, line in enumerate(lines) if line.startswith("The other CPUs stolen"))
        self.assertEqual(lines[cpu0 + 2].split()[-2:], ["0.0", "20.0"])
        self.assertEqual(lines[other + 2].split()[-2:], ["0.0", "4.0"])

    def test_a_cell_sums_only_the_rounds_that_counted(self):
        run = RunDir(["pinholed"])
        run.loop("pinholed", 1, [0.0004], syns_held=5)
        run.loop("pinholed", 2, [0.0004])
        cell = report.Cell(run.path, "pinholed", "session", "v4")
        run.tmp.cleanup()
        self.assertEqual(cell.syns_held, 5)


if __name__ == "__main__":
    unittest.main()
