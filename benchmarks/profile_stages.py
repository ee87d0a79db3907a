"""Time per pipeline stage (ms per MB of text) on a synthetic 2 KB-document corpus.

Usage (repository root): ``python benchmarks/profile_stages.py`` prints one line of stage
timings; ``python benchmarks/profile_stages.py prof`` adds a cProfile listing. In-process and
unpinned, so expect run-to-run noise of 10-30% on a shared machine; use it to see where time
goes, and ``bench_fingerprint.py`` for the end-to-end numbers.
"""
import sys
import time

import numpy as np
from auditor.features.stats import compute_stats
from auditor.features.tokens import tokenize_batch
from auditor.features import minhash
from auditor.features.dedup import NearDuplicateIndex
from auditor.normalize import normalize
rng=np.random.default_rng(0)
syll=["ka","lo","mi","ten","ra","su","ve","do","pa","ri","on","el","an","ist","or"]
vocab=["".join(rng.choice(syll,size=rng.integers(1,4))) for _ in range(30000)]
p=1/np.arange(1,30001)**1.1; p/=p.sum()
def doc():
    words=rng.choice(vocab,size=330,p=p)
    out=[];
    for i,w in enumerate(words):
        out.append(w.capitalize() if i%17==0 else w)
        if i%17==16: out[-1]+="."
    return " ".join(out)
docs=[doc() for _ in range(4096)]
mb=sum(len(d.encode()) for d in docs)/1e6
compute_stats(["warm up"],tokenize_batch(["warm up"]))
def run():
  t={k:0.0 for k in "norm tok stats shingle sig lsh".split()}
  idx=NearDuplicateIndex()
  for b in range(0,len(docs),512):
    batch=docs[b:b+512]
    t0=time.perf_counter(); texts=[normalize(x) for x in batch]
    t1=time.perf_counter(); tok=tokenize_batch(texts)
    t2=time.perf_counter(); st=compute_stats(texts,tok)
    t3=time.perf_counter(); sh,so=minhash.shingle_hashes(tok.word_hashes,tok.offsets)
    t4=time.perf_counter(); sg=minhash.signatures(sh,so)
    t5=time.perf_counter(); idx.add(sg)
    t6=time.perf_counter()
    for k,a,bb in zip(t,[t0,t1,t2,t3,t4,t5],[t1,t2,t3,t4,t5,t6]): t[k]+=bb-a
  tot=sum(t.values())
  print({k:round(v/mb*1000,1) for k,v in t.items()}, "ms/MB; total MB/s %.2f"%(mb/tot))
if __name__=="__main__":
  if len(sys.argv)>1:
    import cProfile,pstats; cProfile.run("run()","/tmp/prof"); pstats.Stats("/tmp/prof").sort_stats("tottime").print_stats(18)
  else: run()
