"""Adds (or replaces) a post-filter's model set (default 36) in a manifest: set 33's entry (its networks, wire, steps and thumbnail correction)
with the post-filter as its own post_filter role. Usage: /usr/bin/python3 training/postfilter/add_model_set.py
MANIFEST [--id postfilter_v36] [--set 36] [--of 33] [--default]"""
import argparse
import copy
import json


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('manifest')
    ap.add_argument('--id', default='postfilter_v36')
    ap.add_argument('--set', default='36')
    ap.add_argument('--of', default='33')
    ap.add_argument('--default', action='store_true')
    a = ap.parse_args()
    m = json.load(open(a.manifest))
    if a.id not in m['models']:
        raise SystemExit(f'gsc: {a.manifest} has no model {a.id}; run export_postfilter.py first')
    s = copy.deepcopy(m['modelSets'][a.of])
    s['models']['post_filter'] = a.id
    s['networksOf'] = int(a.of)
    s['wire'] = f"set {a.of}'s packets but for the id (docs/bitstream.md 6.4, 6.5); the station adds its post-filter ({a.id})"
    m['modelSets'][a.set] = s
    if a.default:
        m['defaultModelSet'] = int(a.set)
    with open(a.manifest, 'w') as f:
        json.dump(m, f, indent=2)
        f.write('\n')


if __name__ == '__main__':
    main()
