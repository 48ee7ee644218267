"""The proofs' part of the catalogue (:mod:`ledger.text.catalogue` splices it into its
list in place, so the order of entries is unchanged): keys, signed notes, checkpoints,
proofs, receipts and packets.

>>> import re
>>> all(re.compile(p) for p, _ in PROOFS)
True
"""

from __future__ import annotations

V = r"'(?P<v>(?:[^'\\]|\\.)*)'"  # a repr'd value (as catalogue.V)

PROOFS: list[tuple[str, str]] = [
    # keys, notes, checkpoints
    (r"give a key name with --dir, or a path NAME without it",
     "--dir 只能与密钥名一起用；NAME 是路径时请去掉 --dir"),
    (r"(?P<f>.+) exists: a key is never overwritten; choose another name",
     "{f} 已存在：密钥从不覆盖；请换一个名字"),
    (r"(?P<f>.+) is a log's key: a cosigner's key is made with `keygen NAME --cosigner` (?P<r>.*)",
     "{f} 是账本签名密钥：联署人的密钥要用 `keygen NAME --cosigner` 生成 {r}"),
    (r"(?P<f>.+) is not JSON: (?P<r>.*)", "{f} 不是 JSON 文件：{r}"),
    (r"(?P<f>.+) is not a receipt written by `publish --receipt`", "{f} 不是 `publish --receipt` 写出的回执"),
    (rf"key name {V} must be non-empty, without spaces or '\+'", "密钥名「{v}」须非空，且不含空格或“+”"),
    (rf"malformed verifier key {V}: expected NAME\+HEXKEYID\+BASE64KEY",
     "公钥「{v}」格式不对：应为 NAME+HEXKEYID+BASE64KEY（keygen 写出的 .pub 文件）"),
    (r"verifier key: not an Ed25519 \(0x01\) or cosignature \(0x04\) key",
     "公钥不是 Ed25519（0x01）或联署（0x04）密钥"),
    (r"(?P<w>verifier|private) key (?P<n>.+): key id (?P<i>.+) does not match the key",
     "密钥 {n} 的 key id {i} 与密钥不符：文件被改动或不完整"),
    (r"not a private key file \(expected PRIVATE\+KEY\+NAME\+ID\+KEY\)",
     "不是私钥文件（应为 keygen 写出的 PRIVATE+KEY+NAME+ID+KEY）"),
    (r"private key: not an Ed25519 key", "私钥不是 Ed25519 密钥"),
    (r"not valid base64", "不是有效的 base64"),
    (r"a note's text must end in a newline and hold no control characters",
     "签名文本须以换行结尾，且不含控制字符"),
    (r"malformed note: it must end in a newline", "签名文件格式不对：须以换行结尾"),
    (r"malformed note: no blank line before the signatures", "签名文件格式不对：签名前没有空行"),
    (r"a note with more than (?P<n>\d+) signatures is refused", "签名超过 {n} 个的文件不予接受"),
    (r"the note carries no signature of the trusted key (?P<k>.*)", "文件上没有受信任密钥 {k} 的签名"),
    (r"malformed signature line (?P<n>\S+)", "第 {n} 行签名格式不对"),
    (r"signature of (?P<k>.+) is too short", "{k} 的签名过短"),
    (r"the cosignature of (?P<k>.+) has the wrong length", "{k} 的联署签名长度不对"),
    (r"the signature of (?P<k>.+) does not verify: the note was altered or signed by another key",
     "{k} 的签名校验不通过：文件被改动，或由另一把密钥签名"),
    (r"malformed checkpoint: expected origin, size, root, chain and time lines",
     "检查点格式不对：应有 origin、size、root、chain 和 time 各行"),
    (r"malformed checkpoint: bad origin or tree size line", "检查点格式不对：origin 行或树大小行有误"),
    (r"malformed checkpoint: the root hash line is not 32 bytes of base64",
     "检查点格式不对：根哈希行不是 32 字节的 base64"),
    (r"malformed checkpoint: the chain line must be 'chain SIZE:HASH'",
     "检查点格式不对：chain 行应为 'chain SIZE:HASH'"),
    (r"malformed checkpoint: the time line must be 'time YYYY-MM-DDTHH:MM:SS\.ffffffZ'",
     "检查点格式不对：time 行应为 'time YYYY-MM-DDTHH:MM:SS.ffffffZ'"),
    (r"the checkpoint covers (?P<a>\S+) events but the ledger ends at seq (?P<b>\S+): events were "
     r"removed", "检查点覆盖 {a} 条事件，但账本止于第 {b} 条：有事件被删除"),
    (r"event seq (?P<s>\S+) differs from the checkpoint's chain (?P<h>\S+): the ledger was rewritten",
     "第 {s} 条事件与检查点记录的链 {h} 不符：账本被改写"),
    (r"the ledger's Merkle root at size (?P<n>\S+) differs from the checkpoint's: the ledger was "
     r"rewritten", "账本在大小 {n} 处的 Merkle 根与检查点不符：账本被改写"),
    # proofs, receipts, packets
    (r"(?P<w>.+): expected 64 lowercase hex digits", "{w}：应为 64 位小写十六进制数"),
    (r"(?P<w>.+): expected a non-negative integer", "{w}：应为非负整数"),
    (r"(?P<w>.+): expected a list of hashes", "{w}：应为哈希列表"),
    (r"not a proof: 'kind' must be 'inclusion' or 'consistency'",
     "不是证明文件：'kind' 应为 'inclusion' 或 'consistency'"),
    (r"an? (?P<k>\S+) proof has exactly the keys (?P<ks>.*)", "{k} 证明应恰好有这些键：{ks}"),
    (r"the inclusion proof of leaf (?P<i>\S+) in the tree of size (?P<n>\S+) does not verify",
     "第 {i} 个叶子在大小 {n} 的树中的包含证明校验不通过"),
    (r"the consistency proof from size (?P<a>\S+) to size (?P<b>\S+) does not verify",
     "从大小 {a} 到 {b} 的一致性证明校验不通过"),
    (r"the proof is about the tree of size (?P<a>\S+), but the checkpoint signs size (?P<b>\S+) "
     r"with another root", "证明针对大小 {a} 的树，但检查点签署的大小 {b} 的根不同"),
    (rf"event {V} \(seq (?P<s>\S+)\) is not in a tree of size (?P<n>\S+)",
     "事件「{v}」（第 {s} 条）不在大小 {n} 的树中"),
    (r"need 0 < from-size <= to-size <= (?P<n>\S+) \(the ledger's size\), not (?P<a>\S+) and "
     r"(?P<b>\S+)", "需要 0 < from-size <= to-size <= {n}（账本大小），而不是 {a} 和 {b}"),
    (r"(?P<t>.+) has no published card for (?P<p>\S+): publish it first",
     "{t} 没有 {p} 年度已公布的评分卡：请先 publish"),
    (r"it does not reach today's checkpoint", "它没有延伸到今天的检查点"),
    (r"no signed checkpoint covers the publication yet: give a key to sign one",
     "还没有覆盖此公布记录的已签名检查点：请给出密钥（--sign KEY）签一个"),
    (r"no inclusion proof", "没有包含证明"),
    (r"the proof is not about this event", "证明不是关于这条事件的"),
    (r"not a receipt", "不是回执"),
    (r"the receipt holds no proven publication event", "回执中没有经过证明的公布事件"),
    (r"the receipt's card is not the card the publication froze", "回执中的评分卡不是公布时冻结的那张"),
    (r"the card's SHA-256 is not the published one", "评分卡的 SHA-256 与公布的不同"),
    (rf"the receipt lacks the proof of cited event {V}", "回执缺少所引事件「{v}」的证明"),
    (r"an event row must have exactly the store's columns", "事件行须恰好有账本的各列"),
    (r"an event entry is malformed", "事件条目格式不对"),
    (r"the receipt's checkpoint: (?P<r>.*)", "回执中的检查点：{r}"),
    (r"the receipt's sha256 (?P<a>\S+) is not the one publication (?P<p>\S+) froze \((?P<b>\S+)\)",
     "回执的 sha256 {a} 不是公布 {p} 冻结时的（{b}）"),
]
