<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="zh_CN">
  <context>
    <name>madpg</name>
    <message>
      <source>{new} activated, as asked (no comparison)</source>
      <translation>{new} 已按要求启用（未作比较）</translation>
    </message>
    <message>
      <source>{new} not activated, as asked; {old} stays active</source>
      <translation>{new} 已按要求不启用；{old} 仍为当前版本</translation>
    </message>
    <message>
      <source>{new} activated: there was no active model</source>
      <translation>{new} 已启用：此前没有启用的模型</translation>
    </message>
    <message>
      <source>{new} not activated: no check records yet (review more records); you can activate it by hand</source>
      <translation>{new} 未启用：还没有检验集记录（请审核更多记录）；可以手动启用</translation>
    </message>
    <message>
      <source>{a} vs {b} for {old} on {n} check records</source>
      <translation>{a}，{old} 为 {b}（{n} 条检验集记录）</translation>
    </message>
    <message>
      <source>{new} not activated: {n} check records are too few to compare it with {old} (review more records; you can activate it by hand)</source>
      <translation>{new} 未启用：{n} 条检验集记录太少，无法与 {old} 比较（请审核更多记录；可以手动启用）</translation>
    </message>
    <message>
      <source>{new} kept inactive: {nums}</source>
      <translation>{new} 未启用：F1 {nums}</translation>
    </message>
    <message>
      <source>{new} kept inactive: {nums} is within noise (better in {p} % of resamples, {needed} % needed)</source>
      <translation>{new} 未启用：F1 {nums}，差异在随机波动之内（{p}% 的重抽样中更好，需要 {needed}%）</translation>
    </message>
    <message>
      <source>{new} activated: {nums} (better in {p} % of resamples)</source>
      <translation>{new} 已启用：F1 {nums}（{p}% 的重抽样中更好）</translation>
    </message>
    <message>
      <source>Assertion status</source>
      <translation>断言状态</translation>
    </message>
    <message>
      <source>Alt+1, Alt+2, … give the current entity a status</source>
      <translation>Alt+1、Alt+2 … 为当前实体设置状态</translation>
    </message>
    <message>
      <source>Assertion statuses…</source>
      <translation>断言状态…</translation>
    </message>
    <message>
      <source>Click an entity first, then give its assertion status (Alt+1…)</source>
      <translation>请先点击一个实体，再设置其断言状态（Alt+1…）</translation>
    </message>
    <message>
      <source>Assertion statuses</source>
      <translation>断言状态</translation>
    </message>
    <message>
      <source>Assertion statuses offered: {statuses}</source>
      <translation>可用的断言状态：{statuses}</translation>
    </message>
    <message>
      <source>The project offers {n} assertion statuses; Alt+{k} gives none of them</source>
      <translation>本项目提供 {n} 种断言状态；Alt+{k} 不对应任何状态</translation>
    </message>
    <message>
      <source>{type} «{text}»: {status}</source>
      <translation>{type}「{text}」：{status}</translation>
    </message>
    <message>
      <source>Click an entity first</source>
      <translation>请先点击一个实体</translation>
    </message>
    <message>
      <source>Entities still carry the statuses you left out ({statuses}). Make them present?</source>
      <translation>仍有实体使用被移除的状态（{statuses}）。将它们改为“存在”吗？</translation>
    </message>
    <message>
      <source>Model attention — not a finding</source>
      <translation>模型注意力——并非诊断发现</translation>
    </message>
    <message>
      <source>r: the image's relevance to the text, as its gate judged (0–1)</source>
      <translation>r：门控判断的影像与文本的相关度（0–1）</translation>
    </message>
    <message>
      <source>Model attention</source>
      <translation>模型注意力</translation>
    </message>
    <message>
      <source>{share} of the text's attention on the image; cells {lo}–{hi} (even {even})</source>
      <translation>文本注意力的 {share} 落在影像上；各格 {lo}–{hi}（均匀时 {even}）</translation>
    </message>
    <message>
      <source>Model {version}</source>
      <translation>模型 {version}</translation>
    </message>
    <message>
      <source>no answer for this image</source>
      <translation>此影像没有结果</translation>
    </message>
    <message>
      <source>Model attention (r = {r}) — not a finding</source>
      <translation>模型注意力（r = {r}）——并非诊断发现</translation>
    </message>
    <message>
      <source>r for this image alone; all {n} images together: r = {c}</source>
      <translation>r 为仅此影像时的值；全部 {n} 幅影像合起来：r = {c}</translation>
    </message>
    <message>
      <source>Show where the active model's attention went in this image ({key}): the model's attention, not a finding</source>
      <translation>显示当前模型在此影像上的注意力分布（{key}）：这是模型的注意力，并非诊断发现</translation>
    </message>
    <message>
      <source>Asking the model…</source>
      <translation>正在询问模型…</translation>
    </message>
    <message>
      <source>Model attention: nothing to show</source>
      <translation>模型注意力：无可显示</translation>
    </message>
    <message>
      <source>≥ {n}× even</source>
      <translation>≥ 均匀值的 {n} 倍</translation>
    </message>
    <message>
      <source>cancelled</source>
      <translation>已取消</translation>
    </message>
    <message>
      <source>The model could not be asked: {m}</source>
      <translation>无法询问模型：{m}</translation>
    </message>
    <message>
      <source>An entity cannot be empty: its start must stay before its end.</source>
      <translation>实体不能为空：起点必须在终点之前。</translation>
    </message>
    <message>
      <source>An entity cannot reach past the text.</source>
      <translation>实体不能超出文本范围。</translation>
    </message>
    <message>
      <source>Not moved: it would overlap {type} «{text}» in the same layer.</source>
      <translation>未移动：会与同一层的{type}「{text}」重叠。</translation>
    </message>
    <message>
      <source>{type} «{text}» now {start}–{end}</source>
      <translation>{type}「{text}」现为 {start}–{end}</translation>
    </message>
    <message>
      <source>Delete entity</source>
      <translation>删除实体</translation>
    </message>
    <message>
      <source>Change entity type</source>
      <translation>更改实体类型</translation>
    </message>
    <message>
      <source>Accept pre-label</source>
      <translation>接受预标注</translation>
    </message>
    <message>
      <source>Reject pre-label</source>
      <translation>拒绝预标注</translation>
    </message>
    <message>
      <source>Set assertion status</source>
      <translation>设置断言状态</translation>
    </message>
    <message>
      <source>Move entity boundary</source>
      <translation>移动实体边界</translation>
    </message>
    <message>
      <source>The entity was changed elsewhere; the edit cannot be applied.</source>
      <translation>该实体已在别处被修改，无法执行此编辑。</translation>
    </message>
    <message>
      <source>Add entity</source>
      <translation>添加实体</translation>
    </message>
    <message>
      <source>Edit BIO tags</source>
      <translation>编辑 BIO 标签</translation>
    </message>
    <message>
      <source>Mark as reviewed</source>
      <translation>标记为已审核</translation>
    </message>
    <message>
      <source>Change record status</source>
      <translation>更改记录状态</translation>
    </message>
    <message>
      <source>Open project</source>
      <translation>打开项目</translation>
    </message>
    <message>
      <source>Restore backup</source>
      <translation>恢复备份</translation>
    </message>
    <message>
      <source>Restoring replaces the project file with the backup; the current file is kept as backups/replaced-….sqlite.</source>
      <translation>恢复会用备份替换项目文件；当前文件保留为 backups/replaced-….sqlite。</translation>
    </message>
    <message>
      <source>No backups yet: one is taken each day the project is opened.</source>
      <translation>还没有备份：每天首次打开项目时会自动备份一次。</translation>
    </message>
    <message>
      <source>Restore…</source>
      <translation>恢复…</translation>
    </message>
    <message>
      <source>Waiting for another program writing this project… {n} s</source>
      <translation>正在等待另一个程序写完此项目… {n} 秒</translation>
    </message>
    <message>
      <source>Restored the backup of {date}; the replaced file is kept as {path}</source>
      <translation>已恢复 {date} 的备份；被替换的文件保留为 {path}</translation>
    </message>
    <message>
      <source>Taken</source>
      <translation>备份时间</translation>
    </message>
    <message>
      <source>Size</source>
      <translation>大小</translation>
    </message>
    <message>
      <source>Check</source>
      <translation>检查</translation>
    </message>
    <message>
      <source>A training run is using this project; stop it before restoring a backup.</source>
      <translation>有训练正在使用此项目；请先停止训练再恢复备份。</translation>
    </message>
    <message>
      <source>Restore the backup of {date}? The damaged file is kept as backups/replaced-….sqlite.</source>
      <translation>恢复 {date} 的备份吗？损坏的文件将保留为 backups/replaced-….sqlite。</translation>
    </message>
    <message>
      <source>ok</source>
      <translation>正常</translation>
    </message>
    <message>
      <source>Replace the project with the backup of {date}? Changes made since then stay only in the replaced file, kept as backups/replaced-….sqlite. Close other programs using this project first.</source>
      <translation>用 {date} 的备份替换项目吗？此后所做的修改只保留在被替换的文件中（保存为 backups/replaced-….sqlite）。请先关闭其他正在使用此项目的程序。</translation>
    </message>
    <message>
      <source>The backup was not restored: {error}</source>
      <translation>未能恢复备份：{error}</translation>
    </message>
    <message>
      <source>damaged: {problem}</source>
      <translation>已损坏：{problem}</translation>
    </message>
    <message>
      <source>Personal information in the export</source>
      <translation>导出内容中含有个人信息</translation>
    </message>
    <message>
      <source>Mask it: each character becomes ＊ in the exported file, offsets unchanged; the project keeps its text.</source>
      <translation>遮蔽：导出文件中每个字符替换为 ＊，偏移量不变；项目中的文本保持不变。</translation>
    </message>
    <message>
      <source>Mask them in the export</source>
      <translation>在导出中遮蔽</translation>
    </message>
    <message>
      <source>Export as they are</source>
      <translation>原样导出</translation>
    </message>
    <message>
      <source>… and {n} more</source>
      <translation>…… 另有 {n} 处</translation>
    </message>
    <message>
      <source>(in {n} records).</source>
      <translation>（分布在 {n} 条记录中）。</translation>
    </message>
    <message>
      <source>resident ID number</source>
      <translation>居民身份证号</translation>
    </message>
    <message>
      <source>mobile number</source>
      <translation>手机号码</translation>
    </message>
    <message>
      <source>telephone number</source>
      <translation>电话号码</translation>
    </message>
    <message>
      <source>date of birth</source>
      <translation>出生日期</translation>
    </message>
    <message>
      <source>personal name</source>
      <translation>姓名</translation>
    </message>
    <message>
      <source>record number</source>
      <translation>病案号</translation>
    </message>
    <message>
      <source>address</source>
      <translation>住址</translation>
    </message>
    <message>
      <source>hospital name</source>
      <translation>医院名称</translation>
    </message>
    <message>
      <source>The records to export hold {n} pieces of personal information</source>
      <translation>待导出的记录中含有 {n} 处个人信息</translation>
    </message>
    <message>
      <source>Replay corpus</source>
      <translation>回放语料</translation>
    </message>
    <message>
      <source>Add a corpus file to every re-training</source>
      <translation>每次重新训练时加入一个语料文件</translation>
    </message>
    <message>
      <source>So a small project does not forget what the base model knew.</source>
      <translation>这样小项目不会忘记基础模型已学到的知识。</translation>
    </message>
    <message>
      <source>File</source>
      <translation>文件</translation>
    </message>
    <message>
      <source>Format</source>
      <translation>格式</translation>
    </message>
    <message>
      <source>Type mapping</source>
      <translation>类型映射</translation>
    </message>
    <message>
      <source>Choose the replay corpus file, or switch the replay off.</source>
      <translation>请选择回放语料文件，或关闭回放。</translation>
    </message>
    <message>
      <source>corpus file, e.g. the bundled model's training data</source>
      <translation>语料文件，例如内置模型的训练数据</translation>
    </message>
    <message>
      <source>optional: type map file (resources/maps/)</source>
      <translation>可选：类型映射文件（resources/maps/）</translation>
    </message>
    <message>
      <source>File…</source>
      <translation>文件…</translation>
    </message>
    <message>
      <source>The replay corpus file does not exist: {p}</source>
      <translation>回放语料文件不存在：{p}</translation>
    </message>
    <message>
      <source>The type mapping file does not exist: {p}</source>
      <translation>类型映射文件不存在：{p}</translation>
    </message>
    <message>
      <source>Background</source>
      <translation>底色</translation>
    </message>
    <message>
      <source>Underline</source>
      <translation>下划线</translation>
    </message>
    <message>
      <source>Bold text</source>
      <translation>粗体文字</translation>
    </message>
    <message>
      <source>Frame</source>
      <translation>边框</translation>
    </message>
    <message>
      <source>Label schema</source>
      <translation>标签体系</translation>
    </message>
    <message>
      <source>How the type's entities are drawn besides their colour: a second cue for types whose colours are hard to tell apart.</source>
      <translation>除颜色外该类型实体的显示方式：颜色难以区分时的第二种提示。</translation>
    </message>
    <message>
      <source>Used in BIO tags, exported files and the model; renaming a type keeps its entities.</source>
      <translation>用于 BIO 标签、导出文件和模型；重命名类型时其实体保留。</translation>
    </message>
    <message>
      <source>Shown in the Chinese interface; left empty, the built-in name or the identifier shows.</source>
      <translation>在中文界面中显示；留空时显示内置名称或标识符。</translation>
    </message>
    <message>
      <source>Entity colour</source>
      <translation>实体颜色</translation>
    </message>
    <message>
      <source>Two types share the same key.</source>
      <translation>两个类型使用了同一个快捷键。</translation>
    </message>
    <message>
      <source>Identifier</source>
      <translation>标识符</translation>
    </message>
    <message>
      <source>Chinese name</source>
      <translation>中文名称</translation>
    </message>
    <message>
      <source>Colour</source>
      <translation>颜色</translation>
    </message>
    <message>
      <source>Style</source>
      <translation>样式</translation>
    </message>
    <message>
      <source>Key</source>
      <translation>快捷键</translation>
    </message>
    <message>
      <source>Entities</source>
      <translation>实体</translation>
    </message>
    <message>
      <source>Add type</source>
      <translation>添加类型</translation>
    </message>
    <message>
      <source>Remove type</source>
      <translation>删除类型</translation>
    </message>
    <message>
      <source>Delete entity types</source>
      <translation>删除实体类型</translation>
    </message>
    <message>
      <source>Two types share the identifier {name}.</source>
      <translation>两个类型使用了同一个标识符 {name}。</translation>
    </message>
    <message>
      <source>Two types share the Chinese name {name}.</source>
      <translation>两个类型使用了同一个中文名称 {name}。</translation>
    </message>
    <message>
      <source>These types are still used; removing them deletes their entities:</source>
      <translation>这些类型仍在使用，删除它们会同时删除其实体：</translation>
    </message>
    <message>
      <source>An identifier is empty or holds spaces: {name}</source>
      <translation>标识符为空或含有空格：{name}</translation>
    </message>
    <message>
      <source>An identifier cannot start with "-" or with a letter and "-" (B-, I- are BIO tag prefixes): {name}</source>
      <translation>标识符不能以“-”或“一个字母加 -”开头（B-、I- 是 BIO 标签前缀）：{name}</translation>
    </message>
    <message>
      <source>Open project from server</source>
      <translation>从服务器打开项目</translation>
    </message>
    <message>
      <source>(new address)</source>
      <translation>（新地址）</translation>
    </message>
    <message>
      <source>Recent</source>
      <translation>最近</translation>
    </message>
    <message>
      <source>User</source>
      <translation>用户</translation>
    </message>
    <message>
      <source>Host</source>
      <translation>主机</translation>
    </message>
    <message>
      <source>Port</source>
      <translation>端口</translation>
    </message>
    <message>
      <source>Database</source>
      <translation>数据库</translation>
    </message>
    <message>
      <source>Password</source>
      <translation>密码</translation>
    </message>
    <message>
      <source>Connecting…</source>
      <translation>正在连接…</translation>
    </message>
    <message>
      <source>user name on the server</source>
      <translation>服务器上的用户名</translation>
    </message>
    <message>
      <source>server name or address, e.g. db.hospital.local</source>
      <translation>服务器名称或地址，例如 db.hospital.local</translation>
    </message>
    <message>
      <source>database holding the project</source>
      <translation>存放项目的数据库</translation>
    </message>
    <message>
      <source>only if the server asks for one; never saved</source>
      <translation>仅在服务器要求时填写；不会保存</translation>
    </message>
    <message>
      <source>Give at least the user name and the database.</source>
      <translation>请至少填写用户名和数据库。</translation>
    </message>
    <message>
      <source>The database {where} is empty. Make it a new MADPG project with the default entity types?</source>
      <translation>数据库 {where} 是空的。要把它建成使用默认实体类型的新 MADPG 项目吗？</translation>
    </message>
    <message>
      <source>The statuses annotators can give an entity in this project. Alt+1, Alt+2, … give them in this order; the detector proposes only these.</source>
      <translation>本项目中标注者可以为实体设置的状态。Alt+1、Alt+2 … 按此顺序对应；检测器只会建议这些状态。</translation>
    </message>
    <message>
      <source>Every entity starts as present: this status cannot be left out.</source>
      <translation>每个实体默认为“存在”：此状态不能移除。</translation>
    </message>
    <message>
      <source>At most {n} epochs, {t}</source>
      <translation>最多 {n} 轮，{t}</translation>
    </message>
    <message>
      <source>less than a minute left</source>
      <translation>剩余不到 1 分钟</translation>
    </message>
    <message>
      <source> plus {n} replay records</source>
      <translation>及 {n} 条回放记录</translation>
    </message>
    <message>
      <source>Fine-tune v{v} ({p}) on {records}{replay}; score it on {check}, never trained on.</source>
      <translation>在 {records}{replay}上微调 v{v}（{p}）；在 {check}（从不用于训练）上评分。</translation>
    </message>
    <message>
      <source>Train {p} from scratch on {records}{replay}; score it on {check}, never trained on.</source>
      <translation>在 {records}{replay}上从头训练 {p}；在 {check}（从不用于训练）上评分。</translation>
    </message>
    <message>
      <source>about {n} min left</source>
      <translation>约剩 {n} 分钟</translation>
    </message>
    <message>
      <source>{n} reviewed records</source>
      <translation>{n} 条已审核记录</translation>
    </message>
    <message>
      <source>{n} check records</source>
      <translation>{n} 条检验记录</translation>
    </message>
    <message>
      <source>The check set ({n} records) is too small to tell whether a new version is better. Review at least {k} records; until then, do not make the new version active without looking at it.</source>
      <translation>检验集（{n} 条记录）太小，无法判断新版本是否更好。请至少审核 {k} 条记录；在此之前，请勿未经查看就启用新版本。</translation>
    </message>
    <message>
      <source>Train a new model version</source>
      <translation>训练新的模型版本</translation>
    </message>
    <message>
      <source>From scratch</source>
      <translation>从头训练</translation>
    </message>
    <message>
      <source>optional: local BERT/RoBERTa folder for the full MADPG</source>
      <translation>可选：完整 MADPG 所需的本地 BERT/RoBERTa 文件夹</translation>
    </message>
    <message>
      <source>Folder…</source>
      <translation>文件夹…</translation>
    </message>
    <message>
      <source>Automatic (CUDA when present)</source>
      <translation>自动（有 CUDA 时使用 CUDA）</translation>
    </message>
    <message>
      <source>CPU</source>
      <translation>CPU</translation>
    </message>
    <message>
      <source>Stop after at most</source>
      <translation>最多训练</translation>
    </message>
    <message>
      <source>Start</source>
      <translation>起始</translation>
    </message>
    <message>
      <source>Preset</source>
      <translation>预设</translation>
    </message>
    <message>
      <source>Pretrained folder</source>
      <translation>预训练模型文件夹</translation>
    </message>
    <message>
      <source>Time budget</source>
      <translation>时间预算</translation>
    </message>
    <message>
      <source>Device</source>
      <translation>设备</translation>
    </message>
    <message>
      <source>Activate the new version</source>
      <translation>启用新版本</translation>
    </message>
    <message>
      <source>Advanced</source>
      <translation>高级</translation>
    </message>
    <message>
      <source>Train</source>
      <translation>训练</translation>
    </message>
    <message>
      <source>Cancel training</source>
      <translation>取消训练</translation>
    </message>
    <message>
      <source>Fine-tunes a copy of the active model on the reviewed records; it keeps what that model knew.</source>
      <translation>在已审核记录上微调当前模型的副本；保留该模型已学到的知识。</translation>
    </message>
    <message>
      <source>Pretrained BERT/RoBERTa folder</source>
      <translation>预训练 BERT/RoBERTa 文件夹</translation>
    </message>
    <message>
      <source>Starting the training process…</source>
      <translation>正在启动训练进程…</translation>
    </message>
    <message>
      <source>about {n} min</source>
      <translation>约 {n} 分钟</translation>
    </message>
    <message>
      <source>about {n} s</source>
      <translation>约 {n} 秒</translation>
    </message>
    <message>
      <source>MADPG, sized for a CPU</source>
      <translation>MADPG，适合 CPU 的规模</translation>
    </message>
    <message>
      <source>MADPG, sized for tests</source>
      <translation>MADPG，测试用的小规模</translation>
    </message>
    <message>
      <source> and </source>
      <translation> 和 </translation>
    </message>
    <message>
      <source> min</source>
      <translation> 分钟</translation>
    </message>
    <message>
      <source>CUDA (GPU)</source>
      <translation>CUDA（GPU）</translation>
    </message>
    <message>
      <source>Only if it is better on the check set</source>
      <translation>仅当它在检验集上更好时</translation>
    </message>
    <message>
      <source>Always</source>
      <translation>总是</translation>
    </message>
    <message>
      <source>Never (activate it by hand in the versions panel)</source>
      <translation>从不（可在版本面板中手动启用）</translation>
    </message>
    <message>
      <source> epochs</source>
      <translation> 轮</translation>
    </message>
    <message>
      <source>Start from the active model (fine-tune): this project has none</source>
      <translation>从当前模型开始（微调）：本项目没有当前模型</translation>
    </message>
    <message>
      <source>Another preset than the active model's ({p}) means training from scratch: the new version learns only from the reviewed records (and the replay corpus).</source>
      <translation>选择与当前模型（{p}）不同的预设即为从头训练：新版本只从已审核记录（及回放语料）中学习。</translation>
    </message>
    <message>
      <source>From scratch: the new version learns only from the reviewed records (and the replay corpus).</source>
      <translation>从头训练：新版本只从已审核记录（及回放语料）中学习。</translation>
    </message>
    <message>
      <source>Only {n} reviewed records (fewer than {k}): the check set is too small to tell a better model from noise, so the new version is not made active by default. Compare it in the versions panel and activate it by hand if you like.</source>
      <translation>只有 {n} 条已审核记录（少于 {k} 条）：检验集太小，无法区分更好的模型与随机波动，因此默认不启用新版本。可在版本面板中比较后手动启用。</translation>
    </message>
    <message>
      <source>Stopping…</source>
      <translation>正在停止…</translation>
    </message>
    <message>
      <source>Reading the reviewed records and building the model…</source>
      <translation>正在读取已审核记录并构建模型…</translation>
    </message>
    <message>
      <source>Preparing the data: parsed {done} of {n} texts</source>
      <translation>正在准备数据：已解析 {done} / {n} 条文本</translation>
    </message>
    <message>
      <source>Preparing the data…</source>
      <translation>正在准备数据…</translation>
    </message>
    <message>
      <source>Version {v} is ready</source>
      <translation>版本 {v} 已完成</translation>
    </message>
    <message>
      <source>now active</source>
      <translation>已启用</translation>
    </message>
    <message>
      <source>not activated</source>
      <translation>未启用</translation>
    </message>
    <message>
      <source>(budget {b} min)</source>
      <translation>（预算 {b} 分钟）</translation>
    </message>
    <message>
      <source>Preset {p} differs from the active version's ({a}): this run trains from scratch.</source>
      <translation>预设 {p} 与当前模型的预设（{a}）不同：本次训练将从头开始。</translation>
    </message>
    <message>
      <source>Training needs at least {k} reviewed records outside the check set.</source>
      <translation>训练至少需要 {k} 条检验集以外的已审核记录。</translation>
    </message>
    <message>
      <source>MADPG without {parts}</source>
      <translation>不含 {parts} 的 MADPG</translation>
    </message>
    <message>
      <source>epoch {e}</source>
      <translation>第 {e} 轮</translation>
    </message>
    <message>
      <source>epoch {e}: dev F1 {f}</source>
      <translation>第 {e} 轮：验证集 F1 {f}</translation>
    </message>
    <message>
      <source>Training failed: {m}. The active model is unchanged.</source>
      <translation>训练失败：{m}。当前启用的模型未改变。</translation>
    </message>
    <message>
      <source>gating</source>
      <translation>门控</translation>
    </message>
    <message>
      <source>Start from the active model v{n} (fine-tune)</source>
      <translation>从当前模型 v{n} 开始（微调）</translation>
    </message>
    <message>
      <source>Not a folder: {p}</source>
      <translation>不是文件夹：{p}</translation>
    </message>
    <message>
      <source>Cannot plan this run: {m}</source>
      <translation>无法规划本次训练：{m}</translation>
    </message>
    <message>
      <source>step {s} / {t}</source>
      <translation>步 {s} / {t}</translation>
    </message>
    <message>
      <source>loss {x}</source>
      <translation>损失 {x}</translation>
    </message>
    <message>
      <source>folder (texts with their images)</source>
      <translation>文件夹（文本及其影像）</translation>
    </message>
    <message>
      <source>record names</source>
      <translation>记录名称</translation>
    </message>
    <message>
      <source>record statuses</source>
      <translation>记录状态</translation>
    </message>
    <message>
      <source>images</source>
      <translation>影像</translation>
    </message>
    <message>
      <source>assertion statuses</source>
      <translation>断言状态</translation>
    </message>
    <message>
      <source>model origins (source, version, confidence)</source>
      <translation>模型来源（来源、版本、置信度）</translation>
    </message>
    <message>
      <source>layer numbers</source>
      <translation>层号</translation>
    </message>
    <message>
      <source>region links (export the grounding file for them)</source>
      <translation>区域关联（请另行导出定位文件）</translation>
    </message>
    <message>
      <source>entities marked not visible in the images</source>
      <translation>标记为影像中不可见的实体</translation>
    </message>
    <message>
      <source>Imported {records}, {entities} and {images}.</source>
      <translation>已导入 {records}、{entities}和 {images}。</translation>
    </message>
    <message>
      <source>{n} records</source>
      <translation>{n} 条记录</translation>
    </message>
    <message>
      <source>{n} entities</source>
      <translation>{n} 个实体</translation>
    </message>
    <message>
      <source>{n} images</source>
      <translation>{n} 张影像</translation>
    </message>
    <message>
      <source>{n} warnings:</source>
      <translation>{n} 条警告：</translation>
    </message>
    <message>
      <source>{n} records already in the project were replaced by the file's version.</source>
      <translation>{n} 条项目中已有的记录被文件中的版本替换。</translation>
    </message>
    <message>
      <source>Of them, {n} had been reviewed.</source>
      <translation>其中 {n} 条曾经审核过。</translation>
    </message>
    <message>
      <source>{n} reviewed records already in the project were kept as they are.</source>
      <translation>{n} 条项目中已有的已审核记录保持不变。</translation>
    </message>
    <message>
      <source>{n} records already in the project were skipped.</source>
      <translation>{n} 条项目中已有的记录被跳过。</translation>
    </message>
    <message>
      <source>{n} records already in the project were added again as new records.</source>
      <translation>{n} 条项目中已有的记录作为新记录再次添加。</translation>
    </message>
    <message>
      <source>Working…</source>
      <translation>处理中…</translation>
    </message>
    <message>
      <source>Cancelled; nothing was changed.</source>
      <translation>已取消，未做任何更改。</translation>
    </message>
    <message>
      <source>Import records</source>
      <translation>导入记录</translation>
    </message>
    <message>
      <source>Import</source>
      <translation>导入</translation>
    </message>
    <message>
      <source>Source</source>
      <translation>来源</translation>
    </message>
    <message>
      <source>Allow images from outside the file's folder</source>
      <translation>允许使用该文件所在文件夹以外的图像</translation>
    </message>
    <message>
      <source>Image paths in the imported file must lie in its folder unless this is checked: only check it for files you trust.</source>
      <translation>除非勾选此项，导入文件中的图像路径必须位于该文件所在的文件夹内：仅对可信的文件勾选。</translation>
    </message>
    <message>
      <source>Remove patient identity from DICOM headers</source>
      <translation>从 DICOM 文件头中去除患者身份信息</translation>
    </message>
    <message>
      <source>Names, IDs, birth dates, institution and private tags are removed or replaced (DICOM PS3.15 basic profile); the pixels stay as they are, and the original file is not copied into the project.</source>
      <translation>姓名、编号、出生日期、机构和私有标签将被删除或替换（依据 DICOM PS3.15 基本规范）；像素保持不变，原始文件不会复制到项目中。</translation>
    </message>
    <message>
      <source>A record is already in the project when a record with the same name and the same text is. Replacing gives it the file's entities, status and images; it keeps its place, note and check-set role.</source>
      <translation>名称和文本都相同的记录视为项目中已有。替换时使用文件中的实体、状态和影像，保留记录的位置、备注和检验集角色。</translation>
    </message>
    <message>
      <source>Records already in the project</source>
      <translation>项目中已有的记录</translation>
    </message>
    <message>
      <source>Export records</source>
      <translation>导出记录</translation>
    </message>
    <message>
      <source>Export</source>
      <translation>导出</translation>
    </message>
    <message>
      <source>grounding file (region links)</source>
      <translation>定位文件（区域关联）</translation>
    </message>
    <message>
      <source>All records</source>
      <translation>全部记录</translation>
    </message>
    <message>
      <source>Reviewed records only</source>
      <translation>仅已审核记录</translation>
    </message>
    <message>
      <source>Destination</source>
      <translation>目标</translation>
    </message>
    <message>
      <source>Records</source>
      <translation>记录</translation>
    </message>
    <message>
      <source>The outer entities</source>
      <translation>外层实体</translation>
    </message>
    <message>
      <source>The inner entities</source>
      <translation>内层实体</translation>
    </message>
    <message>
      <source>Where entities nest (a disease containing an organ), a BIO file holds one of them; the others are counted below when the export is done.</source>
      <translation>实体嵌套时（如疾病中包含器官），BIO 文件只能保存其中一层；导出完成后会在下方统计其余实体。</translation>
    </message>
    <message>
      <source>Add the assertion status as a third column</source>
      <translation>将断言状态作为第三列写出</translation>
    </message>
    <message>
      <source>present, absent, possible, … per character of an entity; O elsewhere</source>
      <translation>实体的每个字符写其断言状态的标识符；其他位置写 O</translation>
    </message>
    <message>
      <source>Nested entities</source>
      <translation>嵌套实体</translation>
    </message>
    <message>
      <source>Export all records</source>
      <translation>导出全部记录</translation>
    </message>
    <message>
      <source>{n} of the records are not reviewed: their spans are the model's proposals, not checked by a person. Export them too?</source>
      <translation>有 {n} 条记录尚未审核：其中的实体是模型的建议，未经人工核对。仍要一并导出吗？</translation>
    </message>
    <message>
      <source>{n} records repeat earlier ones in the file and were added too.</source>
      <translation>{n} 条记录与文件中前面的记录重复，也已添加。</translation>
    </message>
    <message>
      <source>{n} records repeat earlier ones in the file and were skipped.</source>
      <translation>{n} 条记录与文件中前面的记录重复，已跳过。</translation>
    </message>
    <message>
      <source>optional: source&lt;TAB&gt;target per line, or JSON</source>
      <translation>可选：每行“源类型&lt;TAB&gt;目标类型”，或 JSON</translation>
    </message>
    <message>
      <source>Skip them</source>
      <translation>跳过</translation>
    </message>
    <message>
      <source>Replace them, except reviewed records</source>
      <translation>替换（已审核记录除外）</translation>
    </message>
    <message>
      <source>Replace them, reviewed records too</source>
      <translation>替换（包括已审核记录）</translation>
    </message>
    <message>
      <source>Add them as new records</source>
      <translation>作为新记录添加</translation>
    </message>
    <message>
      <source>Import folder</source>
      <translation>导入文件夹</translation>
    </message>
    <message>
      <source>Choose a file or folder to import.</source>
      <translation>请选择要导入的文件或文件夹。</translation>
    </message>
    <message>
      <source>Export to</source>
      <translation>导出到</translation>
    </message>
    <message>
      <source>Choose where to write the export.</source>
      <translation>请选择导出位置。</translation>
    </message>
    <message>
      <source>Not exported. Choose “Reviewed records only” to export gold spans.</source>
      <translation>未导出。要导出人工确认的标注，请选择“仅已审核记录”。</translation>
    </message>
    <message>
      <source>Not exported: personal information was found and you cancelled.</source>
      <translation>未导出：发现个人信息，您已取消。</translation>
    </message>
    <message>
      <source>Exported {records} to {path}</source>
      <translation>已导出 {records}到 {path}</translation>
    </message>
    <message>
      <source>{n} empty records were not written: the {format} format cannot hold them.</source>
      <translation>{n} 条空记录未写入：{format} 格式无法保存空记录。</translation>
    </message>
    <message>
      <source>{n} images copied under their original names to {folder}</source>
      <translation>已按原文件名复制 {n} 张影像到 {folder}</translation>
    </message>
    <message>
      <source>{n} images are missing from the project and were left out: {names}</source>
      <translation>项目中缺少 {n} 张影像，未导出：{names}</translation>
    </message>
    <message>
      <source>Entities of types without a mapping were left out ({types}).</source>
      <translation>未映射类型的实体未导入（{types}）。</translation>
    </message>
    <message>
      <source>Import file</source>
      <translation>导入文件</translation>
    </message>
    <message>
      <source>DICOM headers de-identified: patient names, IDs, dates and institution removed or replaced.</source>
      <translation>DICOM 文件头已去标识化：患者姓名、编号、日期和机构已删除或替换。</translation>
    </message>
    <message>
      <source>DICOM headers kept as they are, patient identity included.</source>
      <translation>DICOM 文件头保持原样，包括患者身份信息。</translation>
    </message>
    <message>
      <source>Exported {links} and {hidden} marked not visible, from {records}, to {path}</source>
      <translation>已导出 {links}，另有 {hidden}标记为不可见，来自 {records}，写入 {path}</translation>
    </message>
    <message>
      <source>{n} region links</source>
      <translation>{n} 个区域关联</translation>
    </message>
    <message>
      <source>No region links yet: draw a region on an image (Regions ▸ Box) and link it to an entity (L).</source>
      <translation>还没有区域关联：请在影像上画一个区域（区域 ▸ 矩形框），再把它关联到一个实体（L）。</translation>
    </message>
    <message>
      <source>{n} nested or overlapping entities were left out: the file holds the outer ones.</source>
      <translation>{n} 个嵌套或重叠实体未写出：文件保存的是外层实体。</translation>
    </message>
    <message>
      <source>{n} nested or overlapping entities were left out: the file holds the inner ones.</source>
      <translation>{n} 个嵌套或重叠实体未写出：文件保存的是内层实体。</translation>
    </message>
    <message>
      <source>The {format} format cannot hold: {what}</source>
      <translation>{format} 格式无法保存：{what}</translation>
    </message>
    <message>
      <source>Review the pre-labels with the keyboard: Tab / Shift+Tab next / previous, Enter accepts, Backspace rejects, 1–9 change the type; {key} accepts the record and opens the next</source>
      <translation>用键盘审核预标注：Tab / Shift+Tab 下一个 / 上一个，Enter 接受，Backspace 拒绝，1–9 更改类型；{key} 审核通过本记录并打开下一条</translation>
    </message>
    <message>
      <source>Select characters first, then press a digit key or a label button</source>
      <translation>请先选择文字，再按数字键或点击标签按钮</translation>
    </message>
    <message>
      <source>No entity under the cursor</source>
      <translation>光标处没有实体</translation>
    </message>
    <message>
      <source>Change type</source>
      <translation>更改类型</translation>
    </message>
    <message>
      <source>Next pre-label</source>
      <translation>下一个预标注</translation>
    </message>
    <message>
      <source>Previous pre-label</source>
      <translation>上一个预标注</translation>
    </message>
    <message>
      <source>This is the only pre-label left</source>
      <translation>这是仅剩的一个预标注</translation>
    </message>
    <message>
      <source>{n} pre-labels left</source>
      <translation>还剩 {n} 个预标注</translation>
    </message>
    <message>
      <source>The selection holds only spaces</source>
      <translation>所选内容只有空白</translation>
    </message>
    <message>
      <source>Other entities here</source>
      <translation>此处的其他实体</translation>
    </message>
    <message>
      <source>Label as</source>
      <translation>标注为</translation>
    </message>
    <message>
      <source>No pre-labels left in this record; {key} accepts it and opens the next</source>
      <translation>本记录已没有预标注；按 {key} 审核通过并打开下一条</translation>
    </message>
    <message>
      <source>No pre-labels left</source>
      <translation>没有剩余的预标注</translation>
    </message>
    <message>
      <source>No entity type has the key {key}</source>
      <translation>没有实体类型使用快捷键 {key}</translation>
    </message>
    <message>
      <source>{type} «{text}», layer {n}; click it again or press {key} for the entity around it</source>
      <translation>{type}「{text}」，第 {n} 层；再次点击或按 {key} 选择外层实体</translation>
    </message>
    <message>
      <source>Back to the first pre-label</source>
      <translation>回到第一个预标注</translation>
    </message>
    <message>
      <source>Back to the last pre-label</source>
      <translation>回到最后一个预标注</translation>
    </message>
    <message>
      <source>model confidence {c}</source>
      <translation>模型置信度（最低字符）{c}</translation>
    </message>
    <message>
      <source>Select characters to create an entity</source>
      <translation>选择文字以创建实体</translation>
    </message>
    <message>
      <source>&amp;File</source>
      <translation>文件(&amp;F)</translation>
    </message>
    <message>
      <source>New project…</source>
      <translation>新建项目…</translation>
    </message>
    <message>
      <source>Open project…</source>
      <translation>打开项目…</translation>
    </message>
    <message>
      <source>Open project from server…</source>
      <translation>从服务器打开项目…</translation>
    </message>
    <message>
      <source>Open recent</source>
      <translation>最近打开</translation>
    </message>
    <message>
      <source>Import…</source>
      <translation>导入…</translation>
    </message>
    <message>
      <source>Export…</source>
      <translation>导出…</translation>
    </message>
    <message>
      <source>Restore backup…</source>
      <translation>恢复备份…</translation>
    </message>
    <message>
      <source>Quit</source>
      <translation>退出</translation>
    </message>
    <message>
      <source>&amp;Edit</source>
      <translation>编辑(&amp;E)</translation>
    </message>
    <message>
      <source>Label schema…</source>
      <translation>标签体系…</translation>
    </message>
    <message>
      <source>&amp;Record</source>
      <translation>记录(&amp;R)</translation>
    </message>
    <message>
      <source>Accept as reviewed and next</source>
      <translation>审核通过并下一条</translation>
    </message>
    <message>
      <source>Next unreviewed</source>
      <translation>下一条未审核</translation>
    </message>
    <message>
      <source>Next record</source>
      <translation>下一条记录</translation>
    </message>
    <message>
      <source>Previous record</source>
      <translation>上一条记录</translation>
    </message>
    <message>
      <source>Mark as not reviewed</source>
      <translation>标记为未审核</translation>
    </message>
    <message>
      <source>&amp;View</source>
      <translation>视图(&amp;V)</translation>
    </message>
    <message>
      <source>Zoom in</source>
      <translation>放大</translation>
    </message>
    <message>
      <source>Zoom out</source>
      <translation>缩小</translation>
    </message>
    <message>
      <source>Actual size</source>
      <translation>实际大小</translation>
    </message>
    <message>
      <source>Fit image</source>
      <translation>适应窗口</translation>
    </message>
    <message>
      <source>Language</source>
      <translation>语言</translation>
    </message>
    <message>
      <source>&amp;Help</source>
      <translation>帮助(&amp;H)</translation>
    </message>
    <message>
      <source>About</source>
      <translation>关于</translation>
    </message>
    <message>
      <source>Folder for the new project (empty)</source>
      <translation>新项目的文件夹（空文件夹）</translation>
    </message>
    <message>
      <source>Open project folder</source>
      <translation>打开项目文件夹</translation>
    </message>
    <message>
      <source>Images</source>
      <translation>影像</translation>
    </message>
    <message>
      <source>BIO tags</source>
      <translation>BIO 标签</translation>
    </message>
    <message>
      <source>Undo</source>
      <translation>撤销</translation>
    </message>
    <message>
      <source>Redo</source>
      <translation>重做</translation>
    </message>
    <message>
      <source>Accepted; this was the last record in the list</source>
      <translation>已审核通过；这是列表中的最后一条记录</translation>
    </message>
    <message>
      <source>Every record is reviewed</source>
      <translation>所有记录均已审核</translation>
    </message>
    <message>
      <source>Annotate Chinese medical records with their images.</source>
      <translation>标注中文病历及其配套影像。</translation>
    </message>
    <message>
      <source>New project</source>
      <translation>新建项目</translation>
    </message>
    <message>
      <source>No record</source>
      <translation>没有记录</translation>
    </message>
    <message>
      <source>Open or create a project (File menu)</source>
      <translation>请打开或新建项目（文件菜单）</translation>
    </message>
    <message>
      <source>Offset {n}</source>
      <translation>偏移 {n}</translation>
    </message>
    <message>
      <source>(none)</source>
      <translation>（无）</translation>
    </message>
    <message>
      <source>{n} characters</source>
      <translation>{n} 个字符</translation>
    </message>
    <message>
      <source>Cancel</source>
      <translation>取消</translation>
    </message>
    <message>
      <source>Model versions</source>
      <translation>模型版本</translation>
    </message>
    <message>
      <source>&amp;Model</source>
      <translation>模型(&amp;M)</translation>
    </message>
    <message>
      <source>Pre-label current record</source>
      <translation>预标注当前记录</translation>
    </message>
    <message>
      <source>Pre-label selected records</source>
      <translation>预标注所选记录</translation>
    </message>
    <message>
      <source>Pre-label all unreviewed records</source>
      <translation>预标注全部未审核记录</translation>
    </message>
    <message>
      <source>Train…</source>
      <translation>训练…</translation>
    </message>
    <message>
      <source>Score versions on the check set</source>
      <translation>在检验集上为各版本评分</translation>
    </message>
    <message>
      <source>Scoring versions</source>
      <translation>正在评分</translation>
    </message>
    <message>
      <source>{n} versions are scored on the current check set</source>
      <translation>{n} 个版本已在当前检验集上评分</translation>
    </message>
    <message>
      <source>Scoring cancelled; the versions scored so far keep their scores.</source>
      <translation>评分已取消；已评分的版本保留其分数。</translation>
    </message>
    <message>
      <source>Training is running</source>
      <translation>正在训练</translation>
    </message>
    <message>
      <source>Quitting cancels the training run; the active model stays as it is. Quit?</source>
      <translation>退出将取消本次训练，当前启用的模型保持不变。确定退出吗？</translation>
    </message>
    <message>
      <source>No record is shown</source>
      <translation>未显示任何记录</translation>
    </message>
    <message>
      <source>Select records in the list first</source>
      <translation>请先在列表中选择记录</translation>
    </message>
    <message>
      <source>Pre-labelling is already running</source>
      <translation>预标注已在进行中</translation>
    </message>
    <message>
      <source>Pre-labelling</source>
      <translation>正在预标注</translation>
    </message>
    <message>
      <source>Loading model v{n}…</source>
      <translation>正在加载模型 v{n}…</translation>
    </message>
    <message>
      <source>No check set yet: it is drawn the first time the project trains.</source>
      <translation>尚无检验集：项目第一次训练时抽取。</translation>
    </message>
    <message>
      <source>Training: preparing the data</source>
      <translation>训练：正在准备数据</translation>
    </message>
    <message>
      <source>Training: epoch {e}</source>
      <translation>训练中：第 {e} 轮</translation>
    </message>
    <message>
      <source>Model version {v} is ready</source>
      <translation>模型版本 {v} 已完成</translation>
    </message>
    <message>
      <source>Training</source>
      <translation>训练中</translation>
    </message>
    <message>
      <source>Model v{n} is active; pre-labelling uses it from now on.</source>
      <translation>模型 v{n} 已启用；此后的预标注将使用它。</translation>
    </message>
    <message>
      <source>Scoring failed: {m}</source>
      <translation>评分失败：{m}</translation>
    </message>
    <message>
      <source>Pre-labelling failed: {m}</source>
      <translation>预标注失败：{m}</translation>
    </message>
    <message>
      <source>Pre-labelling failed: {m}. The records finished before stay labelled; the next run starts the process again.</source>
      <translation>预标注失败：{m}。已完成的记录保留其标注；下次运行会重新启动该进程。</translation>
    </message>
    <message>
      <source>Replace entities</source>
      <translation>替换实体</translation>
    </message>
    <message>
      <source>Add nested entity</source>
      <translation>添加嵌套实体</translation>
    </message>
    <message>
      <source>&amp;Replace {spans}</source>
      <translation>替换 {spans}(&amp;R)</translation>
    </message>
    <message>
      <source>Add as &amp;nested entity (layer {n})</source>
      <translation>添加为嵌套实体（第 {n} 层）(&amp;N)</translation>
    </message>
    <message>
      <source>«{text}» overlaps {spans}: replace, add as nested, or Esc</source>
      <translation>「{text}」与 {spans} 重叠：替换、添加为嵌套，或按 Esc 取消</translation>
    </message>
    <message>
      <source>The record changed meanwhile; select the characters and label them again.</source>
      <translation>记录已被修改；请重新选择字符并标注。</translation>
    </message>
    <message>
      <source>{n:,} records</source>
      <translation>{n:,} 条记录</translation>
    </message>
    <message>
      <source>Pre-labelled {n:,} records</source>
      <translation>已预标注 {n:,} 条记录</translation>
    </message>
    <message>
      <source>{n:,} model entities</source>
      <translation>模型实体 {n:,} 个</translation>
    </message>
    <message>
      <source>it was killed or crashed</source>
      <translation>进程被终止或崩溃</translation>
    </message>
    <message>
      <source>{n:,} reviewed records left as they were</source>
      <translation>{n:,} 条已审核记录保持不变</translation>
    </message>
    <message>
      <source>Pre-labelling cancelled after {done} of {records}; those stay labelled.</source>
      <translation>预标注已在完成 {done}/{records}后取消；已完成的记录保留其标注。</translation>
    </message>
    <message>
      <source>exit code {n}</source>
      <translation>退出码 {n}</translation>
    </message>
    <message>
      <source>the pre-labelling process stopped unexpectedly ({why})</source>
      <translation>预标注进程意外停止（{why}）</translation>
    </message>
    <message>
      <source>cannot start the pre-labelling process ({program}): {m}</source>
      <translation>无法启动预标注进程（{program}）：{m}</translation>
    </message>
    <message>
      <source>Draw region</source>
      <translation>绘制区域</translation>
    </message>
    <message>
      <source>Delete region</source>
      <translation>删除区域</translation>
    </message>
    <message>
      <source>Move region</source>
      <translation>移动区域</translation>
    </message>
    <message>
      <source>Draw box</source>
      <translation>画矩形框</translation>
    </message>
    <message>
      <source>Drag on the image to draw a box; Esc cancels</source>
      <translation>在影像上拖动以画框；Esc 取消</translation>
    </message>
    <message>
      <source>Draw outline</source>
      <translation>画轮廓</translation>
    </message>
    <message>
      <source>Click point by point (double-click or Enter closes), or drag freehand; Esc cancels</source>
      <translation>逐点单击（双击或 Enter 闭合），或按住拖动徒手绘制；Esc 取消</translation>
    </message>
    <message>
      <source>Link region to entity</source>
      <translation>将区域关联到实体</translation>
    </message>
    <message>
      <source>Link the selected region to the current entity in the text</source>
      <translation>将所选区域关联到文本中的当前实体</translation>
    </message>
    <message>
      <source>Unlink region from entity</source>
      <translation>取消区域与实体的关联</translation>
    </message>
    <message>
      <source>Not visible in the images</source>
      <translation>影像中不可见</translation>
    </message>
    <message>
      <source>The current entity cannot be seen in the images (negated or not imageable)</source>
      <translation>当前实体在影像中看不到（被否定或无法成像）</translation>
    </message>
    <message>
      <source>Re&amp;gions</source>
      <translation>区域(&amp;G)</translation>
    </message>
    <message>
      <source>Export grounding file…</source>
      <translation>导出定位文件…</translation>
    </message>
    <message>
      <source>Mark entity not visible in the images</source>
      <translation>标记实体在影像中不可见</translation>
    </message>
    <message>
      <source>Clear "not visible in the images"</source>
      <translation>清除“影像中不可见”</translation>
    </message>
    <message>
      <source>Box</source>
      <translation>矩形框</translation>
    </message>
    <message>
      <source>Outline</source>
      <translation>轮廓</translation>
    </message>
    <message>
      <source>Link</source>
      <translation>关联</translation>
    </message>
    <message>
      <source>Unlink</source>
      <translation>取消关联</translation>
    </message>
    <message>
      <source>Not visible</source>
      <translation>不可见</translation>
    </message>
    <message>
      <source>Open a record with an image to draw on</source>
      <translation>请打开一条带影像的记录再绘制</translation>
    </message>
    <message>
      <source>Select a region on the image and an entity in the text, then link them</source>
      <translation>请先在影像上选中区域、在文本中选中实体，再将它们关联</translation>
    </message>
    <message>
      <source>This region is not linked to the current entity</source>
      <translation>此区域未关联到当前实体</translation>
    </message>
    <message>
      <source>Select an entity in the text first</source>
      <translation>请先在文本中选中一个实体</translation>
    </message>
    <message>
      <source>Region linked to {spans}</source>
      <translation>区域已关联到 {spans}</translation>
    </message>
    <message>
      <source>Region not linked yet: select an entity in the text and press {key}</source>
      <translation>区域尚未关联：请在文本中选中实体并按 {key}</translation>
    </message>
    <message>
      <source>The detector found no cue: present.</source>
      <translation>检测器未发现提示词：存在。</translation>
    </message>
    <message>
      <source>The detector proposed {status}: «{cue}» at {offset}, {side}.</source>
      <translation>检测器建议“{status}”：提示词「{cue}」位于 {offset}，{side}。</translation>
    </message>
    <message>
      <source>Present</source>
      <translation>存在</translation>
    </message>
    <message>
      <source>Absent</source>
      <translation>否定</translation>
    </message>
    <message>
      <source>Possible</source>
      <translation>可能</translation>
    </message>
    <message>
      <source>Hypothetical</source>
      <translation>假设</translation>
    </message>
    <message>
      <source>Historical</source>
      <translation>既往</translation>
    </message>
    <message>
      <source>Family member</source>
      <translation>家族</translation>
    </message>
    <message>
      <source>no</source>
      <translation>否</translation>
    </message>
    <message>
      <source>?</source>
      <translation>疑</translation>
    </message>
    <message>
      <source>if</source>
      <translation>假</translation>
    </message>
    <message>
      <source>hx</source>
      <translation>史</translation>
    </message>
    <message>
      <source>fam</source>
      <translation>家</translation>
    </message>
    <message>
      <source>The patient has it (the default); drawn as usual.</source>
      <translation>患者存在该情况（默认）；正常显示。</translation>
    </message>
    <message>
      <source>Denied or ruled out (否认, 无, 未见); struck through.</source>
      <translation>被否认或排除（否认、无、未见）；加删除线显示。</translation>
    </message>
    <message>
      <source>Suspected, not confirmed (疑似, 考虑, 可能); in italics.</source>
      <translation>疑似、未确诊（疑似、考虑、可能）；斜体显示。</translation>
    </message>
    <message>
      <source>Posed, not asserted: a condition, a risk, a plan (如果, 若, 预防).</source>
      <translation>假设而非断言：条件、风险或计划（如果、若、预防）。</translation>
    </message>
    <message>
      <source>In the patient's past history (既往, 曾, 病史).</source>
      <translation>属于患者既往史（既往、曾、病史）。</translation>
    </message>
    <message>
      <source>A relative has it, not the patient (父亲, 母亲, 家族史).</source>
      <translation>是亲属而非患者本人的情况（父亲、母亲、家族史）。</translation>
    </message>
    <message>
      <source>before the entity</source>
      <translation>在实体之前</translation>
    </message>
    <message>
      <source>after the entity</source>
      <translation>在实体之后</translation>
    </message>
    <message>
      <source>Pre-label of model {version}</source>
      <translation>模型 {version} 的预标注</translation>
    </message>
    <message>
      <source>Assertion: {status}</source>
      <translation>断言：{status}</translation>
    </message>
    <message>
      <source>Nested: layer {n}</source>
      <translation>嵌套：第 {n} 层</translation>
    </message>
    <message>
      <source>both</source>
      <translation>两者</translation>
    </message>
    <message>
      <source>neither</source>
      <translation>都不要</translation>
    </message>
    <message>
      <source>undecided — 1, 2, 3 or 0</source>
      <translation>未决定——按 1、2、3 或 0</translation>
    </message>
    <message>
      <source>Adjudicate record</source>
      <translation>裁定记录</translation>
    </message>
    <message>
      <source>agreed — taken</source>
      <translation>一致——已采用</translation>
    </message>
    <message>
      <source>Gold spans saved: {n} entities</source>
      <translation>金标准实体已保存：{n} 个</translation>
    </message>
    <message>
      <source>Compare:</source>
      <translation>比较：</translation>
    </message>
    <message>
      <source>Choose two different annotators to compare</source>
      <translation>请选择两位不同的标注者进行比较</translation>
    </message>
    <message>
      <source>Where</source>
      <translation>位置</translation>
    </message>
    <message>
      <source>Gold</source>
      <translation>金标准</translation>
    </message>
    <message>
      <source>Both annotators agree here; it is taken as it is</source>
      <translation>两位标注者在此一致，按原样采用</translation>
    </message>
    <message>
      <source>{n} disagreements are still undecided (1, 2, 3 or 0)</source>
      <translation>还有 {n} 处分歧未决定（1、2、3 或 0）</translation>
    </message>
    <message>
      <source>{name}'s</source>
      <translation>{name} 的</translation>
    </message>
    <message>
      <source>Adjudicate {record}</source>
      <translation>裁定 {record}</translation>
    </message>
    <message>
      <source>1 = take {a}'s · 2 = {b}'s · 3 = both · 0 = neither · ↑/↓ move · Enter saves the gold spans</source>
      <translation>1 = 采用 {a} 的 · 2 = {b} 的 · 3 = 两者 · 0 = 都不要 · ↑/↓ 移动 · Enter 保存金标准实体</translation>
    </message>
    <message>
      <source>This record is not double-annotated: there is nothing to adjudicate</source>
      <translation>此记录不是双人标注的：没有可裁定的内容</translation>
    </message>
    <message>
      <source>{n} left to decide</source>
      <translation>还剩 {n} 处待决定</translation>
    </message>
    <message>
      <source>Adjudication compares two sheets; this record has {n}</source>
      <translation>裁定比较两份标注页；此记录有 {n} 份</translation>
    </message>
    <message>
      <source>Only {names} has annotated this record so far; adjudication needs two sheets</source>
      <translation>目前只有 {names} 标注了此记录；裁定需要两份标注页</translation>
    </message>
    <message>
      <source>nobody</source>
      <translation>无人</translation>
    </message>
    <message>
      <source>{n} disagreements</source>
      <translation>{n} 处分歧</translation>
    </message>
    <message>
      <source>Both cannot be taken: {a}'s and {b}'s spans overlap in one layer. Take one of them (1 or 2), or neither (0).</source>
      <translation>不能两者都采用：{a} 和 {b} 的实体在同一层中重叠。请采用其中一个（1 或 2），或都不要（0）。</translation>
    </message>
    <message>
      <source>{n} agreements taken</source>
      <translation>已采用 {n} 处一致</translation>
    </message>
    <message>
      <source>Agreement between annotators</source>
      <translation>标注者间一致性</translation>
    </message>
    <message>
      <source>Copy as Markdown</source>
      <translation>复制为 Markdown 表格</translation>
    </message>
    <message>
      <source>none</source>
      <translation>无</translation>
    </message>
    <message>
      <source>Type</source>
      <translation>类型</translation>
    </message>
    <message>
      <source>Strict F1</source>
      <translation>严格 F1</translation>
    </message>
    <message>
      <source>Overlap F1</source>
      <translation>重叠 F1</translation>
    </message>
    <message>
      <source>κ</source>
      <translation>κ</translation>
    </message>
    <message>
      <source>Agreed</source>
      <translation>一致</translation>
    </message>
    <message>
      <source>Type only</source>
      <translation>仅类型不同</translation>
    </message>
    <message>
      <source>Boundary only</source>
      <translation>仅边界不同</translation>
    </message>
    <message>
      <source>Both differ</source>
      <translation>两者都不同</translation>
    </message>
    <message>
      <source>Pair:</source>
      <translation>对比：</translation>
    </message>
    <message>
      <source>Unitizing α (Krippendorff 1995) treats each entity as a unit of the text, so a shifted boundary counts; the α over characters compares each character's tag on its own.</source>
      <translation>切分 α（Krippendorff 1995）把每个实体视为文本中的一个单元，边界偏移也计入分歧；按字符的 α 则逐个字符比较标签。</translation>
    </message>
    <message>
      <source>Overall</source>
      <translation>总体</translation>
    </message>
    <message>
      <source>{n} double-annotated records</source>
      <translation>{n} 条双人标注记录</translation>
    </message>
    <message>
      <source>Spans {a}</source>
      <translation>{a} 的实体</translation>
    </message>
    <message>
      <source>Spans {b}</source>
      <translation>{b} 的实体</translation>
    </message>
    <message>
      <source>Missing in {a}</source>
      <translation>{a} 缺少</translation>
    </message>
    <message>
      <source>Missing in {b}</source>
      <translation>{b} 缺少</translation>
    </message>
    <message>
      <source>Types of same-boundary spans (rows: {a}, columns: {b}; colour: share of the row)</source>
      <translation>边界相同的实体的类型（行：{a}，列：{b}；颜色：占该行的比例）</translation>
    </message>
    <message>
      <source>{a} (reference) vs {b}</source>
      <translation>{a}（参照）对比 {b}</translation>
    </message>
    <message>
      <source>annotators: {names}; layer {layer}. F1 is symmetric; κ is Cohen's on the characters' BIO tags.</source>
      <translation>标注者：{names}；第 {layer} 层。F1 是对称的；κ 为字符 BIO 标签上的 Cohen κ。</translation>
    </message>
    <message>
      <source>Krippendorff's unitizing α, all annotators: {u} ({per_type}); over characters: {a}</source>
      <translation>全部标注者的 Krippendorff 切分 α：{u}（{per_type}）；按字符：{a}</translation>
    </message>
    <message>
      <source>{a}: {ta}; {b}: {tb}; {n} spans</source>
      <translation>{a}：{ta}；{b}：{tb}；{n} 个实体</translation>
    </message>
    <message>
      <source>Who is annotating?</source>
      <translation>谁在标注？</translation>
    </message>
    <message>
      <source>Your name in the project {project}: every entity and change you make carries it, and records assigned to you are listed for you. Pick your name or type a new one.</source>
      <translation>您在项目 {project} 中的名字：您所做的每个实体和修改都会记上它，分配给您的记录会为您列出。请选择您的名字或输入新名字。</translation>
    </message>
    <message>
      <source>"unknown" stands for edits made before annotators existed; choose your own name</source>
      <translation>“unknown”代表启用标注者之前的修改；请选择您自己的名字</translation>
    </message>
    <message>
      <source>Assign records</source>
      <translation>分配记录</translation>
    </message>
    <message>
      <source>Add</source>
      <translation>添加</translation>
    </message>
    <message>
      <source>The {n} selected records</source>
      <translation>所选的 {n} 条记录</translation>
    </message>
    <message>
      <source>A random share of all records, double-annotated</source>
      <translation>全部记录中随机抽取一部分，双人标注</translation>
    </message>
    <message>
      <source>The same seed chooses the same records again</source>
      <translation>相同的种子会再次选中相同的记录</translation>
    </message>
    <message>
      <source>Share:</source>
      <translation>比例：</translation>
    </message>
    <message>
      <source>Seed:</source>
      <translation>种子：</translation>
    </message>
    <message>
      <source>Add an annotator by name</source>
      <translation>按名字添加标注者</translation>
    </message>
    <message>
      <source>Annotators (two or more: each annotates blind, on a sheet of their own):</source>
      <translation>标注者（两位或以上：各自在自己的标注页上盲标）：</translation>
    </message>
    <message>
      <source>Tick at least one annotator</source>
      <translation>请至少勾选一位标注者</translation>
    </message>
    <message>
      <source>Double annotation needs two or more annotators</source>
      <translation>双人标注需要两位或以上标注者</translation>
    </message>
    <message>
      <source>The annotator this desk edits as (Team ▸ Switch annotator…)</source>
      <translation>本工作台当前的标注者（团队 ▸ 切换标注者…）</translation>
    </message>
    <message>
      <source>&amp;Team</source>
      <translation>团队(&amp;T)</translation>
    </message>
    <message>
      <source>Switch annotator…</source>
      <translation>切换标注者…</translation>
    </message>
    <message>
      <source>Assign records…</source>
      <translation>分配记录…</translation>
    </message>
    <message>
      <source>Adjudicate this record…</source>
      <translation>裁定此记录…</translation>
    </message>
    <message>
      <source>Agreement report…</source>
      <translation>一致性报告…</translation>
    </message>
    <message>
      <source>History of this record…</source>
      <translation>此记录的历史…</translation>
    </message>
    <message>
      <source>History of the project…</source>
      <translation>项目历史…</translation>
    </message>
    <message>
      <source>{n} records assigned to {names}</source>
      <translation>{n} 条记录已分配给 {names}</translation>
    </message>
    <message>
      <source>No record is open</source>
      <translation>没有打开的记录</translation>
    </message>
    <message>
      <source>Annotator: {name}</source>
      <translation>标注者：{name}</translation>
    </message>
    <message>
      <source>no double-annotated record has two sheets yet (Team ▸ Assign records…, then each annotator opens their records)</source>
      <translation>还没有哪条双人标注记录有两份标注页（团队 ▸ 分配记录…，然后各标注者打开自己的记录）</translation>
    </message>
    <message>
      <source>Your sheet (blind double annotation) — {name}. Other annotators' sheets are hidden; a curator adjudicates them into the gold spans.</source>
      <translation>您的标注页（双人盲标）——{name}。其他标注者的标注页已隐藏；由审定者将它们裁定为金标准实体。</translation>
    </message>
    <message>
      <source>Double-annotated record: these are its gold spans. Sheets: {names}. Team ▸ Adjudicate this record… compares them.</source>
      <translation>双人标注记录：这里显示其金标准实体。标注页：{names}。团队 ▸ 裁定此记录… 可比较它们。</translation>
    </message>
    <message>
      <source>No agreement to report yet: {why}</source>
      <translation>暂无一致性可报告：{why}</translation>
    </message>
    <message>
      <source>Export history…</source>
      <translation>导出历史…</translation>
    </message>
    <message>
      <source>Refresh</source>
      <translation>刷新</translation>
    </message>
    <message>
      <source>Export history</source>
      <translation>导出历史</translation>
    </message>
    <message>
      <source>JSON lines (*.jsonl);;CSV (*.csv)</source>
      <translation>JSON 行文件 (*.jsonl);;CSV 文件 (*.csv)</translation>
    </message>
    <message>
      <source>History of the project</source>
      <translation>项目历史</translation>
    </message>
    <message>
      <source>When</source>
      <translation>时间</translation>
    </message>
    <message>
      <source>Who</source>
      <translation>人员</translation>
    </message>
    <message>
      <source>Action</source>
      <translation>操作</translation>
    </message>
    <message>
      <source>Before</source>
      <translation>之前</translation>
    </message>
    <message>
      <source>After</source>
      <translation>之后</translation>
    </message>
    <message>
      <source>No changes recorded yet.</source>
      <translation>还没有记录任何修改。</translation>
    </message>
    <message>
      <source>History written to {path}</source>
      <translation>历史已写入 {path}</translation>
    </message>
    <message>
      <source>History of {record}</source>
      <translation>{record} 的历史</translation>
    </message>
    <message>
      <source>{n} changes, newest first; undo adds a change, nothing is rewritten.</source>
      <translation>{n} 处修改，最新的在前；撤销会新增一条修改，不会改写任何记录。</translation>
    </message>
    <message>
      <source>Training cancelled. The active model is unchanged.</source>
      <translation>训练已取消，当前模型保持不变。</translation>
    </message>
    <message>
      <source>Training cancelled: {m}. The active model is unchanged.</source>
      <translation>训练已取消：{m}。当前启用的模型未改变。</translation>
    </message>
    <message>
      <source>[ and ] step through the frames</source>
      <translation>[ 和 ] 逐帧切换</translation>
    </message>
    <message>
      <source>Lung</source>
      <translation>肺窗</translation>
    </message>
    <message>
      <source>Mediastinum</source>
      <translation>纵隔窗</translation>
    </message>
    <message>
      <source>Bone</source>
      <translation>骨窗</translation>
    </message>
    <message>
      <source>Brain</source>
      <translation>脑窗</translation>
    </message>
    <message>
      <source>Abdomen</source>
      <translation>腹部窗</translation>
    </message>
    <message>
      <source>C </source>
      <translation>窗位 </translation>
    </message>
    <message>
      <source>W </source>
      <translation>窗宽 </translation>
    </message>
    <message>
      <source>Window:</source>
      <translation>窗口：</translation>
    </message>
    <message>
      <source>No image for this record</source>
      <translation>此记录没有影像</translation>
    </message>
    <message>
      <source>Automatic</source>
      <translation>自动</translation>
    </message>
    <message>
      <source>Image {i} / {n}</source>
      <translation>影像 {i} / {n}</translation>
    </message>
    <message>
      <source>Frame {i} / {n}</source>
      <translation>帧 {i} / {n}</translation>
    </message>
    <message>
      <source>Image {i} / {n}: {name}</source>
      <translation>影像 {i} / {n}：{name}</translation>
    </message>
    <message>
      <source>{name} (W{w:g}/L{c:g})</source>
      <translation>{name}（窗宽 {w:g} / 窗位 {c:g}）</translation>
    </message>
    <message>
      <source>Loading {name}…</source>
      <translation>正在加载 {name}…</translation>
    </message>
    <message>
      <source>not scored on the current check set</source>
      <translation>未在当前检验集上评分</translation>
    </message>
    <message>
      <source>bundled</source>
      <translation>内置</translation>
    </message>
    <message>
      <source>Activate</source>
      <translation>启用</translation>
    </message>
    <message>
      <source>all (micro)</source>
      <translation>全部（微平均）</translation>
    </message>
    <message>
      <source>{p}, fine-tuned from v{b}</source>
      <translation>{p}，由 v{b} 微调</translation>
    </message>
    <message>
      <source>{p}, from scratch</source>
      <translation>{p}，从头训练</translation>
    </message>
    <message>
      <source>Version</source>
      <translation>版本</translation>
    </message>
    <message>
      <source>Model</source>
      <translation>模型</translation>
    </message>
    <message>
      <source>Trained on</source>
      <translation>训练记录数</translation>
    </message>
    <message>
      <source>Check-set F1 (95 % interval)</source>
      <translation>检验集 F1（95% 区间）</translation>
    </message>
    <message>
      <source>Created</source>
      <translation>创建时间</translation>
    </message>
    <message>
      <source>No model yet: review some records, then Model ▸ Train…</source>
      <translation>尚无模型：请先审核一些记录，然后选择 模型 ▸ 训练…</translation>
    </message>
    <message>
      <source>No check set yet: the first training sets aside a share of the reviewed records, never trained on, to score every version on the same records.</source>
      <translation>尚无检验集：第一次训练时会留出一部分已审核记录（从不用于训练），所有版本都在这些相同的记录上评分。</translation>
    </message>
    <message>
      <source>Scores on the project's check set: the same {n} reviewed records for every version, never trained on.</source>
      <translation>项目检验集上的得分：每个版本都在相同的 {n} 条已审核记录上评分，这些记录从不用于训练。</translation>
    </message>
    <message>
      <source>v{v} on the check set: F1 {f}, 95 % interval {lo}–{hi}, {n} records</source>
      <translation>v{v} 在检验集上：F1 {f}，95% 区间 {lo}–{hi}，{n} 条记录</translation>
    </message>
    <message>
      <source>Check-set F1 (%) of v{a}</source>
      <translation>v{a} 的检验集 F1（%）</translation>
    </message>
    <message>
      <source>precision {p}, recall {r}</source>
      <translation>精确率 {p}，召回率 {r}</translation>
    </message>
    <message>
      <source>95 % interval {lo}–{hi}</source>
      <translation>95% 区间 {lo}–{hi}</translation>
    </message>
    <message>
      <source>Roll back to v{n}</source>
      <translation>回滚到 v{n}</translation>
    </message>
    <message>
      <source>Activate v{n}</source>
      <translation>启用 v{n}</translation>
    </message>
    <message>
      <source>Check-set F1 (%): v{a} beside the active v{b}</source>
      <translation>检验集 F1（%）：v{a} 与当前模型 v{b} 对比</translation>
    </message>
    <message>
      <source>{v}: not scored on the current check set</source>
      <translation>{v}：未在当前检验集上评分</translation>
    </message>
    <message>
      <source>Activation: {r}</source>
      <translation>启用：{r}</translation>
    </message>
    <message>
      <source>Bundled model card: F1 {f} on cEHRNER dev (another exam, not comparable with the check set)</source>
      <translation>内置模型说明：在 cEHRNER 开发集上 F1 {f}（另一套考题，不能与检验集比较）</translation>
    </message>
    <message>
      <source>The active model: pre-labelling uses it</source>
      <translation>当前启用的模型：预标注使用它</translation>
    </message>
    <message>
      <source>Check-set F1 (%): the active v{a} beside v{b}</source>
      <translation>检验集 F1（%）：当前模型 v{a} 与 v{b} 对比</translation>
    </message>
    <message>
      <source>Check-set F1 (%): v{a} beside v{b}</source>
      <translation>检验集 F1（%）：v{a} 与 v{b} 对比</translation>
    </message>
    <message>
      <source>Labels:</source>
      <translation>标签：</translation>
    </message>
    <message>
      <source>{type}: apply to the selection (key {key})</source>
      <translation>{type}：应用到所选文字（快捷键 {key}）</translation>
    </message>
    <message>
      <source>Model confidence: the probability of the record's least confident character when the model pre-labelled it (for records pre-labelled before that was kept, of its least confident pre-label). "Least confident first" sorts by it. Empty: never pre-labelled.</source>
      <translation>模型置信度：模型预标注该记录时，其最不确定字符的概率（对保存此值之前预标注的记录，取其最不确定的预标注）。“置信度最低优先”按此排序。为空：从未预标注。</translation>
    </message>
    <message>
      <source>in the check set: never trained on, used to compare model versions</source>
      <translation>在检验集中：从不用于训练，用于比较模型版本</translation>
    </message>
    <message>
      <source>new</source>
      <translation>新建</translation>
    </message>
    <message>
      <source>pre-labelled</source>
      <translation>已预标注</translation>
    </message>
    <message>
      <source>reviewed</source>
      <translation>已审核</translation>
    </message>
    <message>
      <source>Record</source>
      <translation>记录</translation>
    </message>
    <message>
      <source>Confidence</source>
      <translation>置信度</translation>
    </message>
    <message>
      <source>All</source>
      <translation>全部</translation>
    </message>
    <message>
      <source>Assigned to me</source>
      <translation>分配给我的</translation>
    </message>
    <message>
      <source>In order</source>
      <translation>按顺序</translation>
    </message>
    <message>
      <source>Least confident first</source>
      <translation>置信度最低优先</translation>
    </message>
    <message>
      <source>Search text or name</source>
      <translation>搜索文本或名称</translation>
    </message>
    <message>
      <source>Your sheet is done; the record is reviewed once it is adjudicated</source>
      <translation>您的标注页已完成；裁定之后该记录才算已审核</translation>
    </message>
    <message>
      <source>Check set</source>
      <translation>检验集</translation>
    </message>
    <message>
      <source>least confident model entity {c}</source>
      <translation>最不确定的模型实体 {c}</translation>
    </message>
    <message>
      <source>Double annotation: {names}, each on their own sheet</source>
      <translation>双人标注：{names}，各自在自己的标注页上</translation>
    </message>
    <message>
      <source>Assigned to {names}</source>
      <translation>已分配给 {names}</translation>
    </message>
    <message>
      <source>Reviewed {done} / {total}</source>
      <translation>已审核 {done} / {total}</translation>
    </message>
    <message>
      <source>shown</source>
      <translation>显示</translation>
    </message>
    <message>
      <source>Text</source>
      <translation>文本</translation>
    </message>
    <message>
      <source>End</source>
      <translation>结束</translation>
    </message>
    <message>
      <source>Layer</source>
      <translation>层</translation>
    </message>
    <message>
      <source>Assertion</source>
      <translation>断言状态</translation>
    </message>
    <message>
      <source>Origin</source>
      <translation>来源</translation>
    </message>
    <message>
      <source>0: the main layer (BIO and training read it); 1, 2, …: entities nested in or overlapping another, drawn as underlines below the line</source>
      <translation>0：主层（BIO 与训练使用）；1、2 …：嵌套于或重叠于其他实体的实体，以行下方的下划线显示</translation>
    </message>
    <message>
      <source>Assertion status; Alt+1, Alt+2, … in the text set it</source>
      <translation>断言状态；在文本中按 Alt+1、Alt+2 … 设置</translation>
    </message>
    <message>
      <source>Offset</source>
      <translation>偏移</translation>
    </message>
    <message>
      <source>Char</source>
      <translation>字符</translation>
    </message>
    <message>
      <source>Tag</source>
      <translation>标签</translation>
    </message>
    <message>
      <source>The tags of layer 0, the main one; nested entities are listed in the entity table</source>
      <translation>第 0 层（主层）的标签；嵌套实体列在实体表中</translation>
    </message>
    <message>
      <source>annotator</source>
      <translation>标注员</translation>
    </message>
    <message>
      <source>model</source>
      <translation>模型</translation>
    </message>
  </context>
</TS>
