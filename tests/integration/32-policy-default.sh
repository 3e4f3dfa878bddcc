#!/usr/bin/env bash
# The shipped default policy (policy/default.conf): ordinary scripts run
# unchanged; consoles, ctypes, hostile bytecode and dangerous pickles do not.
source "$(dirname "$0")/../lib.sh"
cp "$SRC/policy/default.conf" "$T/default.conf"
chmod 644 "$T/default.conf"
write_policy "include $T/default.conf"

# --- a real-world script, byte for byte the output python3 gives ---------
mkdir -p "$T/work"
cat > "$T/sample.py" <<'PY'
import argparse, dataclasses, enum, json, logging, pathlib, subprocess, sys, typing
from collections import namedtuple

class Colour(enum.Enum):
    RED = 1
    GREEN = 2

Point = namedtuple("Point", "x y")

@dataclasses.dataclass
class Job:
    name: str
    colour: Colour
    tags: typing.List[str] = dataclasses.field(default_factory=list)
    where: typing.Optional[Point] = None

class HasName(typing.Protocol):
    name: str

T = typing.TypeVar("T")

def first(items: typing.Sequence[T]) -> T:
    return items[0]

def main(argv: typing.Optional[typing.List[str]] = None) -> int:
    ap = argparse.ArgumentParser(description="sample")
    ap.add_argument("workdir")
    ap.add_argument("--count", type=int, default=2)
    args = ap.parse_args(argv)
    work = pathlib.Path(args.workdir)
    logging.basicConfig(filename=str(work / "sample.log"), level=logging.INFO,
                        format="%(levelname)s %(message)s")
    log = logging.getLogger("sample")
    jobs = [Job(f"job{i}", Colour.RED if i % 2 else Colour.GREEN, ["t"], Point(i, -i))
            for i in range(args.count)]
    data = [dataclasses.asdict(j) | {"colour": j.colour.name} for j in jobs]
    (work / "jobs.json").write_text(json.dumps(data, sort_keys=True))
    back = json.loads((work / "jobs.json").read_text())
    log.info("wrote %d jobs", len(back))
    out = subprocess.run(["echo", first(back)["name"]], capture_output=True, text=True, check=True)
    print("subprocess:", out.stdout.strip())
    print("jobs:", [b["name"] for b in back], "colours:", sorted({b["colour"] for b in back}))
    print("point:", Point(*back[-1]["where"]), "typed:", typing.get_type_hints(Job)["tags"])
    print("log:", (work / "sample.log").read_text().strip())
    return 0

if __name__ == "__main__":
    sys.exit(main())
PY
sign "$T/sample.py"
run_spy "$T/sample.py" "$T/work" --count 3
cp "$OUT" "$T/spy.out"
rm -f "$T/work/sample.log"
/usr/bin/python3 -I "$T/sample.py" "$T/work" --count 3 > "$T/py.out" 2>&1
check "default policy: the sample runs (status 0, no stderr)" bash -c "[ $RC -eq 0 ] && [ ! -s '$ERR' ]"
check "default policy: output identical to python3's" cmp -s "$T/spy.out" "$T/py.out"
check "default policy: the sample's output is the expected one" \
    grep -qx "subprocess: job0" "$T/spy.out"
check "default policy: nothing the sample did was refused" \
    bash -c "! grep -q '\"decision\":\"\(deny\|would-deny\)\"' '$LOG'"

# --- what the default policy refuses -------------------------------------
cat > "$T/hostile.py" <<PY
import marshal, pickle, sys, io, glob
def t(name, f):
    try:
        f()
        print(name, "ran", flush=True)
    except PermissionError:
        print(name, "denied", flush=True)
    except ImportError:
        print(name, "import-denied", flush=True)

code = compile("print('HOSTILE BYTECODE RAN')", "x", "exec")
t("marshal-loads-made-up", lambda: exec(marshal.loads(marshal.dumps(code))))
t("marshal-load-file", lambda: marshal.load(io.BytesIO(marshal.dumps(code))))
# The bytes of a .pyc that was imported (so verified) are verified bytes.
import textwrap
pyc = glob.glob("$STDLIB/__pycache__/textwrap.cpython-311.pyc")[0]
t("marshal-loads-verified-payload", lambda: marshal.loads(open(pyc, "rb").read()[16:]))
t("code-new", lambda: type(code)(*[getattr(code, a) for a in ("co_argcount", "co_posonlyargcount",
    "co_kwonlyargcount", "co_nlocals", "co_stacksize", "co_flags", "co_code", "co_consts",
    "co_names", "co_varnames", "co_filename", "co_name", "co_qualname", "co_firstlineno",
    "co_linetable", "co_exceptiontable")]))
t("code-replace", lambda: code.replace(co_consts=("HOSTILE",) + code.co_consts[1:]))
t("pickle-os-system", lambda: pickle.loads(b"cos\nsystem\n(S'echo PICKLE-RAN'\ntR."))
t("pickle-posix-system", lambda: pickle.loads(b"cposix\nsystem\n(S'echo PICKLE-RAN'\ntR."))
t("pickle-builtins-eval", lambda: pickle.loads(b"cbuiltins\neval\n(S'1'\ntR."))
t("pickle-py2-eval", lambda: pickle.loads(b"c__builtin__\neval\n(S'1'\ntR."))
t("pickle-subprocess", lambda: pickle.loads(b"csubprocess\nPopen\n."))
t("pickle-dotted-walk", lambda: pickle.loads(b"\x80\x04\x95\x00\x00\x00\x00\x00\x00\x00\x00\x8c\tposixpath\x94\x8c\tos.system\x94\x93\x94."))
t("pickle-benign", lambda: pickle.loads(pickle.dumps({"a": [1, 2.5, None], "b": (b"x", frozenset({3}))})))
import collections, datetime, decimal
t("pickle-stdlib-types", lambda: pickle.loads(pickle.dumps([collections.OrderedDict(a=1),
    datetime.datetime(2026, 1, 2), decimal.Decimal("1.5"), collections.Counter("ab")])))
t("pickle-timeit", lambda: pickle.loads(b"ctimeit\ntimeit\n."))
t("pickle-pydoc-pager", lambda: pickle.loads(b"cpydoc\npipepager\n."))
t("pickle-logging-config", lambda: pickle.loads(b"clogging.config\ndictConfig\n."))
t("pickle-operator-attrgetter", lambda: pickle.loads(b"c_operator\nattrgetter\n."))
t("pickle-py2-cpickle", lambda: pickle.loads(b"ccPickle\nloads\n."))
t("pickle-codecs-open", lambda: pickle.loads(b"ccodecs\nopen\n."))
t("setopencodehook", lambda: sys.audit("setopencodehook"))
t("import-ctypes", lambda: __import__("ctypes"))
t("import-pdb", lambda: __import__("pdb"))
t("import-code", lambda: __import__("code"))
t("import-codeop", lambda: __import__("codeop"))
t("import-cmd", lambda: __import__("cmd"))
t("breakpoint", breakpoint)
t("addaudithook", lambda: sys.addaudithook(lambda *a: None))
t("settrace", lambda: sys.settrace(None))
t("setprofile", lambda: sys.setprofile(None))
PY
sign "$T/hostile.py"
run_spy "$T/hostile.py"
outcome() { check "$1: $2" grep -qx "$1 $2" "$OUT"; }
for n in marshal-loads-made-up marshal-load-file code-new code-replace pickle-os-system \
         pickle-posix-system pickle-builtins-eval pickle-py2-eval pickle-subprocess \
         pickle-dotted-walk pickle-timeit pickle-pydoc-pager pickle-logging-config \
         pickle-operator-attrgetter pickle-py2-cpickle pickle-codecs-open setopencodehook breakpoint; do
    outcome "$n" denied
done
for n in marshal-loads-verified-payload pickle-benign pickle-stdlib-types addaudithook settrace setprofile; do outcome "$n" ran; done
for n in import-ctypes import-pdb import-code import-codeop import-cmd; do outcome "$n" import-denied; done
check "no hostile payload ran" bash -c "! grep -q 'HOSTILE BYTECODE RAN\|PICKLE-RAN' '$OUT'"
log_has "sys.settrace is logged" "e['event'] == 'sys.settrace' and e['decision'] == 'allow'"
log_has "sys.addaudithook is logged" "e['event'] == 'sys.addaudithook' and e['decision'] == 'allow'"
log_has "sys.setprofile is logged" "e['event'] == 'sys.setprofile' and e['decision'] == 'allow'"
log_has "a refused pickle global names its default line" \
    "e['event'] == 'pickle.find_class' and e['args'] == ['timeit', 'timeit'] and e['decision'] == 'deny' and e['rule'] == '$T/default.conf:$(grep -n '^deny pickle.find_class global=timeit' "$T/default.conf" | cut -d: -f1)'"
log_has "the refused bytecode names the default rule" \
    "e['event'] == 'marshal.loads' and e['decision'] == 'deny' and e['rule'] == '$T/default.conf:$(grep -n '^deny marshal.loads origin=unverified' "$T/default.conf" | cut -d: -f1)'"

# --- zipimport: .pyc members of a verified archive unmarshal -------------
mkdir -p "$T/zsrc"
printf 'VALUE = "stored member"\n' > "$T/zsrc/zstored.py"
printf 'VALUE = "deflated member"\n' > "$T/zsrc/zdeflated.py"
/usr/bin/python3 - "$T" <<'PY'
import py_compile, sys, zipfile, importlib.util
t = sys.argv[1]
with zipfile.ZipFile(t + "/app.zip", "w") as z:
    for name, method in (("zstored", zipfile.ZIP_STORED), ("zdeflated", zipfile.ZIP_DEFLATED)):
        pyc = py_compile.compile(f"{t}/zsrc/{name}.py", cfile=f"{t}/zsrc/{name}.pyc")
        z.write(pyc, f"{name}.pyc", compress_type=method)
PY
sign "$T/app.zip"
cat > "$T/zip.py" <<PY
import sys
sys.path.insert(0, "$T/app.zip")
import zstored, zdeflated
print(zstored.VALUE, "/", zdeflated.VALUE)
PY
sign "$T/zip.py"
run_spy "$T/zip.py"
check "zipimport: stored and deflated .pyc members of a signed archive load" \
    grep -qx "stored member / deflated member" "$OUT"
log_has "zipimport: their marshal.loads is allowed" "e['event'] == 'marshal.loads' and e['decision'] == 'allow'"
finish
