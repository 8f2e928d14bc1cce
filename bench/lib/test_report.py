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


class StolenLoopTests(unittest.TestCase):
    """Round 1's pinholed loop lost 3 ticks of the other CPUs to the host and
    was slow; round 2 was left alone."""

    def run_report(self):
        run = RunDir(["kernel", "pinholed"])
        fast, slow = [0.0004] * 99 + [0.0005], [0.0004] * 90 + [0.002] * 10
        run.loop("kernel", 1, fast, wall_s=0.1, steal_cpu0_ticks=0, steal_other_ticks=0)
        run.loop("kernel", 2, fast, wall_s=0.1, steal_cpu0_ticks=0, steal_other_ticks=0)
        run.loop("pinholed", 1, slow, wall_s=0.1, steal_cpu0_ticks=0, steal_other_ticks=3)
        run.loop("pinholed", 2, [0.0004] * 99 + [0.0006], wall_s=0.1, steal_cpu0_ticks=0, steal_other_ticks=0)
        done = run.report()
        self.assertEqual(done.returncode, 0, done.stderr)
        return done.stdout.splitlines()

    def test_transfers_over_the_helpers_p99_split_by_stolen_loops(self):
        lines = self.run_report()
        title = next(i for i, line in enumerate(lines) if line.startswith("Transfers over the kernel helper's p99"))
        rows = {line.split()[0]: line.split(None, 1)[1] for line in lines[title + 3:title + 5]}
        # The helper's p99 is 0.4 ms (nearest rank of 200): its own 2 at 0.5 ms are over it.
        self.assertEqual(rows["kernel"], "- / 10.0 (2)")
        # pinholed: 10 of 100 in the stolen loop, 1 of 100 (0.6 ms) in the other.
        self.assertEqual(rows["pinholed"], "100.0 (1) / 10.0 (1)")

    def test_the_p99_of_the_loops_left_alone_leaves_the_stolen_one_out(self):
        lines = self.run_report()
        whole = next(i for i, line in enumerate(lines) if line.startswith("p99 time per transfer"))
        alone = next(i for i, line in enumerate(lines) if line.startswith("p99 over the loops the host left alone"))
        self.assertEqual(lines[whole + 2].split()[-4:-2], ["0.40", "2.00"])
        self.assertEqual(lines[alone + 2].split()[-3:], ["0.40", "0.40", "1.00"])

    def test_a_run_without_steal_counts_shows_none(self):
        run = RunDir(["kernel", "pinholed"])
        for rnd in (1, 2):
            run.loop("kernel", rnd, [0.0004])
            run.loop("pinholed", rnd, [0.0004])
        done = run.report()
        self.assertEqual(done.returncode, 0, done.stderr)
        lines = done.stdout.splitlines()
        title = next(i for i, line in enumerate(lines) if line.startswith("Transfers over the kernel helper's p99"))
        self.assertEqual([line.split()[-1] for line in lines[title + 3:title + 5]], ["-", "-"])
        alone = next(i for i, line in enumerate(lines) if line.startswith("p99 over the loops the host left alone"))
        self.assertEqual(lines[alone + 2].split()[-3:], ["-", "-", "-"])


if __name__ == "__main__":
    unittest.main()
