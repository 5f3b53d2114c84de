"""Every string the web pages show, in zh-CN (first: the audience is Chinese) and English.

Templates call ``t("key")``; the ES modules get the whole catalogue of the page's language as
JSON and call ``t('key')``. Placeholders are ``{name}`` in both. Unit tests check that every
key has both languages with the same placeholders, and that every key the templates and
scripts use exists, so a missing translation fails a test instead of showing a raw key.

API errors are shown by their stable code (``error.<code>``); the server's own sentence is
added as the detail, so a code without a translation still says something a person can act on.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from types import MappingProxyType
from typing import Final

from culturecast.chat.events import REFUSAL_MESSAGES, RefusalCode
from culturecast.core.categories import LABELS, Category
from culturecast.core.errors import Lang, parse_lang

LANGS: Final[tuple[Lang, ...]] = ("zh-CN", "en")
DEFAULT_LANG: Final[Lang] = "zh-CN"

# Content categories (DESIGN.md § Media resources): the code the resources API stores and
# filters by (``?category=``), and the catalogue key of its label; the labels are core's, the
# same the API returns. The home page offers every category but "other" to browse by.
CATEGORIES: Final[tuple[tuple[str, str], ...]] = tuple(
    (c.value, f"category.{c.value}") for c in Category if c is not Category.OTHER
)

_PAGE_MESSAGES: Final[dict[str, tuple[str, str]]] = {
    # Site frame
    "site.name": ("文化云", "Culture Cloud"),
    "site.tagline": ("直播、回看与点播资源", "Live shows, replays and media"),
    "nav.skip": ("跳到主要内容", "Skip to main content"),
    "nav.home": ("首页", "Home"),
    "nav.main": ("主导航", "Main navigation"),
    "lang.other": ("English", "中文"),
    "lang.other_label": ("Switch to English", "切换到中文"),
    "prefs.large_font": ("大字模式", "Large text"),
    "footer.powered": ("CultureCast {version}", "CultureCast {version}"),
    "page.not_found": ("页面不存在", "Page not found"),
    "page.not_found_hint": (
        "链接可能有误，或内容已被删除。",
        "The link may be wrong, or the item was removed.",
    ),
    "page.back_home": ("返回首页", "Back to the home page"),
    # Shared
    "common.loading": ("加载中…", "Loading…"),
    "common.load_failed": ("加载失败，请稍后重试", "Could not load this; try again later"),
    "badge.live": ("直播中", "LIVE"),
    "badge.replay": ("回看", "Replay"),
    "badge.audio": ("音频", "Audio"),
    "badge.episodes": ("共{n}集", "{n} episodes"),
    # Home
    "home.live_now": ("正在直播", "Live now"),
    "home.upcoming": ("即将开播", "Coming up"),
    "home.replays": ("精彩回看", "Replays"),
    "home.categories": ("分类浏览", "Browse by category"),
    "home.series": ("专辑", "Series"),
    "home.all": ("全部", "All"),
    "empty.live": ("现在没有直播，稍后再来看看", "Nothing is live right now; check back later"),
    "empty.upcoming": ("暂无直播预告", "No shows are scheduled yet"),
    "empty.replays": ("暂无回看", "No replays yet"),
    "empty.resources": ("这个分类下还没有内容", "Nothing in this category yet"),
    "empty.series": ("暂无专辑", "No series yet"),
    "home.nothing_yet": (
        "节目正在准备中，敬请期待",
        "Programmes are on their way; check back soon",
    ),
    "card.plays": ("{n}人次观看", "{n} plays"),
    "card.likes": ("{n} 赞", "{n} likes"),
    "card.latest": ("更新至：{title}", "Latest: {title}"),
    # Countdown
    "countdown.starts_in": ("距开播还有", "Starts in"),
    "countdown.dhms": ("{d}天 {h}:{m}:{s}", "{d}d {h}:{m}:{s}"),
    "countdown.hms": ("{h}:{m}:{s}", "{h}:{m}:{s}"),
    "countdown.starting": ("马上开始", "Starting now"),
    "countdown.at": ("开播时间：{when}", "Starts at {when}"),
    # Player pages
    "player.region": ("播放器", "Player"),
    "player.connecting": ("正在连接…", "Connecting…"),
    "player.error": ("播放出错，请刷新页面重试", "Playback failed; reload the page to try again"),
    "player.unsupported": (
        "当前浏览器无法播放，请换用其他浏览器",
        "This browser cannot play the stream; try another browser",
    ),
    "player.tap_to_play": ("点击播放", "Tap to play"),
    "live.not_found": ("没有找到这场直播", "This show could not be found"),
    "resource.not_found": ("没有找到这个节目", "This item could not be found"),
    "series.not_found": ("没有找到这个专辑", "This series could not be found"),
    "live.status.scheduled": ("未开始", "Not started"),
    "live.status.live": ("直播中", "Live"),
    "live.status.reconnecting": ("信号中断，正在重连…", "Signal lost; reconnecting…"),
    "live.status.ended": ("已结束", "Ended"),
    "live.replay_pending": (
        "直播已结束，回看正在生成，请稍后再来",
        "The show has ended; the replay is being prepared, come back soon",
    ),
    # Chat
    "chat.title": ("互动评论", "Comments"),
    "chat.placeholder": ("说点什么…", "Say something…"),
    "chat.send": ("发送", "Send"),
    "chat.like": ("点赞", "Like"),
    "chat.viewers": ("{n}人在看", "{n} watching"),
    "chat.likes": ("{n}次点赞", "{n} likes"),
    "chat.closed": ("评论已关闭", "Comments are closed"),
    "chat.pinned": ("公告：{text}", "Notice: {text}"),
    # Share
    "share.title": ("分享", "Share"),
    "share.scan": ("用微信扫一扫，在手机上观看", "Scan with WeChat to watch on a phone"),
    "share.qr_alt": ("本页二维码", "QR code of this page"),
    "share.copy": ("复制链接", "Copy link"),
    "share.copied": ("链接已复制", "Link copied"),
    # Engagement (issue 17): likes, favorites, shares, 我的收藏, vote campaigns, search
    "engage.like": ("点赞", "Like"),
    "engage.favorite": ("收藏", "Favorite"),
    "engage.favorited": ("已收藏", "Favorited"),
    "engage.count": ("{n}", "{n}"),
    "engage.shares": ("{n}次分享", "{n} shares"),
    "engage.failed": ("操作未成功，请重试", "That did not work; try again"),
    "nav.favorites": ("我的收藏", "My favorites"),
    "favorites.title": ("我的收藏", "My favorites"),
    "favorites.empty": (
        "还没有收藏。在节目页点「收藏」，就能在这里找到它。",
        "Nothing here yet. Tap “Favorite” on a programme to find it here.",
    ),
    "favorites.saved_at": ("收藏于{when}", "Saved {when}"),
    "campaign.not_found": ("投票活动不存在或已被删除", "This vote campaign does not exist"),
    "campaign.rule": ("投票规则", "Rule"),
    "campaign.ends_in": ("距投票结束", "Voting ends in"),
    "campaign.starts_in": ("距投票开始", "Voting starts in"),
    "campaign.ended": ("投票已结束，结果已锁定", "Voting has ended; the results are final"),
    "campaign.entries": ("参赛作品", "Entries"),
    "campaign.leaderboard": ("排行榜", "Leaderboard"),
    "campaign.total": ("总投票数 {n} 次", "{n} votes in all"),
    "campaign.votes": ("{n}票", "{n} votes"),
    "campaign.vote": ("投票", "Vote"),
    "campaign.voted": ("投票成功", "Your vote is counted"),
    "home.search": ("搜索节目", "Search programmes"),
    "home.search_placeholder": ("节目名、拼音或首字母，如 sgyy", "Title or pinyin, e.g. sgyy"),
    "home.search_button": ("搜索", "Search"),
    "home.search_results": ("搜索结果", "Search results"),
    "home.search_none": ("没有找到相关节目", "No programme matches"),
    # Audio player
    "audio.speed": ("播放速度", "Speed"),
    "audio.sleep": ("定时关闭", "Sleep timer"),
    "audio.sleep_off": ("不开启", "Off"),
    "audio.sleep_minutes": ("{n}分钟", "{n} min"),
    "audio.sleep_episode": ("播完本集", "End of this episode"),
    "audio.sleep_left": ("{time}后停止播放", "Stops in {time}"),
    "audio.sleep_done": ("定时已到，已暂停播放", "Sleep timer: playback paused"),
    "audio.play": ("播放", "Play"),
    "audio.pause": ("暂停", "Pause"),
    "audio.back": ("后退 {n} 秒", "Back {n} seconds"),
    "audio.forward": ("快进 {n} 秒", "Forward {n} seconds"),
    "audio.seek": ("播放进度", "Position"),
    "resume.from": ("上次播放到 {time}，已为您继续", "Continuing from {time}, where you stopped"),
    "resume.restart": ("从头播放", "Start over"),
    # Series
    "series.episodes": ("选集", "Episodes"),
    "series.episode": ("第{n}集", "Episode {n}"),
    "series.auto_next": ("自动播放下一集", "Play the next episode automatically"),
    "series.next": ("下一集", "Next episode"),
    "series.continue": ("继续播放：{title}", "Continue: {title}"),
    "series.empty": ("这个专辑还没有节目", "This series has no episodes yet"),
    "series.now_playing": ("正在播放", "Now playing"),
    "series.part_of": ("所属专辑：{title}", "Part of: {title}"),
    # Admin console
    "admin.title": ("管理后台", "Admin console"),
    "admin.sign_in": ("登录", "Sign in"),
    "admin.sign_in_title": ("管理员登录", "Sign in to manage"),
    "admin.username": ("用户名", "User name"),
    "admin.password": ("密码", "Password"),
    "admin.sign_out": ("退出登录", "Sign out"),
    "admin.signed_in_as": ("当前用户：{name}", "Signed in as {name}"),
    "admin.orgs": ("组织机构", "Organizations"),
    "admin.orgs_empty": ("还没有组织机构", "No organizations yet"),
    "admin.new_root": ("新建省级机构", "New province-level organization"),
    "admin.add_child": ("添加下级", "Add child"),
    "admin.child_name": ("下级机构名称", "Name of the new child"),
    "admin.rename": ("重命名", "Rename"),
    "admin.new_name": ("新名称", "New name"),
    "admin.delete": ("删除", "Delete"),
    "admin.save": ("保存", "Save"),
    "admin.cancel": ("取消", "Cancel"),
    "admin.create": ("创建", "Create"),
    "admin.confirm": ("确定", "Confirm"),
    "admin.confirm_delete": (
        "确定删除“{name}”吗？此操作不能撤销。",
        "Delete “{name}”? This cannot be undone.",
    ),
    "admin.created": ("已创建“{name}”", "Created “{name}”"),
    "admin.renamed": ("已改名为“{name}”", "Renamed to “{name}”"),
    "admin.deleted": ("已删除“{name}”", "Deleted “{name}”"),
    "admin.users": ("用户", "Users"),
    "admin.users_empty": ("还没有用户", "No users yet"),
    "admin.new_user": ("新建用户", "New user"),
    "admin.display_name": ("显示名称", "Display name"),
    "admin.role": ("角色", "Role"),
    "admin.org": ("所属机构", "Organization"),
    "admin.no_org": ("（无）", "(none)"),
    "admin.status": ("状态", "Status"),
    "admin.actions": ("操作", "Actions"),
    "admin.active": ("正常", "Active"),
    "admin.disabled": ("已停用", "Disabled"),
    "admin.disable": ("停用", "Disable"),
    "admin.enable": ("启用", "Enable"),
    "admin.user_created": ("已创建用户“{name}”", "Created the user “{name}”"),
    "admin.user_disabled": ("已停用“{name}”", "Disabled “{name}”"),
    "admin.user_enabled": ("已启用“{name}”", "Enabled “{name}”"),
    # Admin console: tabs, live events, resources, series, statistics (admin-*.js)
    "admin.sections": ("管理功能", "Sections"),
    "admin.tab_accounts": ("机构与用户", "Organizations & users"),
    "admin.tab_live": ("直播", "Live"),
    "admin.tab_resources": ("资源", "Resources"),
    "admin.tab_stats": ("统计", "Statistics"),
    "admin.copy": ("复制", "Copy"),
    "admin.copied": ("已复制", "Copied"),
    "live_admin.new": ("新建直播", "New live event"),
    "live_admin.list": ("直播列表", "Live events"),
    "live_admin.empty": ("还没有直播", "No live events yet"),
    "live_admin.event_title": ("直播标题", "Title"),
    "live_admin.category": ("分类", "Category"),
    "live_admin.scheduled_at": ("计划开播时间", "Scheduled start"),
    "live_admin.published": ("在首页公开", "Listed publicly"),
    "live_admin.manage": ("管理", "Manage"),
    "live_admin.obs_title": ("OBS 推流设置", "OBS settings"),
    "live_admin.obs_server": ("服务器", "Server"),
    "live_admin.obs_key": ("串流密钥", "Stream key"),
    "live_admin.key_once": (
        "串流密钥只显示这一次，请立即复制到 OBS 中保存。忘记后只能重新生成。",
        "The stream key is shown only this once: copy it into OBS now. "
        "If it is lost, generate a new one.",
    ),
    "live_admin.obs_saved": ("我已保存，隐藏密钥", "Saved it; hide the key"),
    "live_admin.open_page": ("打开直播页", "Open the live page"),
    "live_admin.rotate": ("重新生成密钥", "New stream key"),
    "live_admin.confirm_rotate": (
        "重新生成后旧密钥立即失效，正在推流的编码器需要换用新密钥。继续吗？",
        "The old key stops working at once; an encoder using it needs the new key. Continue?",
    ),
    "live_admin.rotated": ("已生成新密钥", "A new stream key was made"),
    "live_admin.stop": ("结束直播", "End the show"),
    "live_admin.confirm_stop": (
        "确定结束直播吗？结束后将生成回看，不能再继续推流。",
        "End the show now? The replay is made and the key cannot publish again.",
    ),
    "live_admin.stopped": ("“{name}”已结束", "“{name}” has ended"),
    "live_admin.close_detail": ("收起", "Close"),
    "live_admin.health": ("推流状态（每 2 秒刷新）", "Stream health (every 2 s)"),
    "live_admin.refusals": ("被拒绝的推流", "Refused publishes"),
    "live_admin.no_refusals": ("没有被拒绝的推流", "No refused publishes"),
    # Pull and playout sources (live/sources): the create form and the detail's status.
    "live_admin.source": ("直播来源", "Source"),
    "live_admin.source_push": ("编码器推流（OBS 等）", "An encoder publishes (OBS …)"),
    "live_admin.source_pull": ("拉流（共享直播）", "Pull a URL (shared live)"),
    "live_admin.source_playout": ("录播 / 轮播", "Scheduled playout"),
    "live_admin.pull_url": ("拉流地址", "URL to pull"),
    "live_admin.playout_items": (
        "节目编号（每行一个，按顺序播出）",
        "Resource ids (one a line, aired in order)",
    ),
    "live_admin.loop": ("循环播出（24 小时频道）", "Loop (a 24/7 channel)"),
    "live_admin.source_status": ("来源状态", "Source status"),
    "live_admin.source_ok": ("来源正常", "The source is fine"),
    "live_admin.source_on_air": ("正在播出第 {n} 个节目（{id}）", "Airing item {n} ({id})"),
    "live_admin.skipped": ("已跳过的节目", "Skipped items"),
    "targets.title": ("转推", "Push targets"),
    "targets.hint": (
        "直播开始后，推流会原样转发到这些平台（抖音、快手、视频号、B站或其他文化云）。推流码保存后不再显示。",
        "While the show is live, its stream is copied to these platforms (Douyin, Kuaishou,"
        " WeChat Channels, Bilibili or another culture cloud). A saved key is never shown again.",
    ),
    "targets.name": ("名称", "Name"),
    "targets.name_example": ("例如：抖音", "e.g. Douyin"),
    "targets.url": ("推流地址", "Push URL"),
    "targets.key": ("推流码（可留空）", "Stream key (optional)"),
    "targets.sent": ("已发送", "Sent"),
    "targets.add": ("添加转推", "Add a push target"),
    "targets.added": ("已添加转推“{name}”", "Push target “{name}” added"),
    "targets.remove": ("删除", "Remove"),
    "targets.confirm_remove": (
        "删除转推“{name}”吗？正在进行的转推会立即停止。",
        "Remove the push target “{name}”? A running push stops at once.",
    ),
    "targets.removed": ("已删除转推“{name}”", "Push target “{name}” removed"),
    "targets.empty": ("还没有转推目标", "No push targets yet"),
    "targets.state.idle": ("未开始", "Idle"),
    "targets.state.connecting": ("连接中", "Connecting"),
    "targets.state.live": ("转推中", "Live"),
    "targets.state.retrying": ("重试中", "Retrying"),
    "targets.state.failed": ("已停止", "Failed"),
    "targets.since": ("自 {when}", "since {when}"),
    "health.bitrate": ("码率", "Bit rate"),
    "health.fps": ("帧率", "Frame rate"),
    "health.keyframe": ("关键帧间隔", "Keyframe interval"),
    "health.resolution": ("分辨率", "Resolution"),
    "health.codecs": ("编码", "Codecs"),
    "health.speed": ("转码速度", "Transcoder speed"),
    "health.restarts": ("转码重启次数", "Transcoder restarts"),
    "health.ladder": ("过载降档", "Shed under load"),
    "health.ladder_value": (
        "{rungs}（降档 {sheds} 次，恢复 {restores} 次）",
        "{rungs} ({sheds} shed, {restores} restored)",
    ),
    "health.ladder_none": ("无", "none"),
    "health.drops": ("丢弃", "Dropped"),
    "health.drops_value": ("{frames} 帧 / {tags} 包", "{frames} frames / {tags} tags"),
    "health.viewers": ("在线 / 峰值", "Watching / peak"),
    "health.viewers_value": ("{current} / {peak}", "{current} / {peak}"),
    "health.kbps": ("{n} kbps", "{n} kbps"),
    "health.seconds": ("{n} 秒", "{n} s"),
    "health.none": ("还没有收到推流", "No stream has arrived yet"),
    "health.stale": (
        "超过 10 秒没有收到推流数据",
        "Nothing has arrived from the encoder for over 10 s",
    ),
    "health.updated": ("更新于 {when}", "Updated {when}"),
    "mod.title": ("评论管理", "Chat moderation"),
    "mod.close": ("关闭评论", "Close chat"),
    "mod.open": ("开启评论", "Open chat"),
    "mod.slow": ("慢速模式", "Slow mode"),
    "mod.slow_off": ("关闭", "Off"),
    "mod.slow_seconds": ("每 {n} 秒一条", "one per {n} s"),
    "mod.pin": ("置顶公告", "Pin notice"),
    "mod.pin_label": ("公告内容（留空则取消置顶）", "Notice text (empty unpins)"),
    "mod.delete": ("删除", "Delete"),
    "mod.mute": ("禁言10分钟", "Mute 10 min"),
    "mod.muted_done": ("已禁言“{name}”10分钟", "{name} is muted for 10 minutes"),
    "mod.ban": ("封禁", "Ban"),
    "mod.banned_done": ("已封禁“{name}”，不能再进入评论", "{name} is banned from the chat"),
    "mod.sanctions_title": ("已禁言/已封禁的用户", "Muted and banned users"),
    "mod.sanctions_empty": ("暂无被禁言或封禁的用户", "Nobody is muted or banned"),
    "mod.kind_mute": ("禁言", "Muted"),
    "mod.kind_ban": ("封禁", "Banned"),
    "mod.left_minutes": ("剩余 {n} 分钟", "{n} min left"),
    "mod.forever": ("永久", "Permanent"),
    "mod.unmute": ("解除禁言", "Unmute"),
    "mod.unban": ("解除封禁", "Unban"),
    "mod.unmuted_done": ("已解除“{name}”的禁言", "{name} is unmuted"),
    "mod.unbanned_done": ("已解除“{name}”的封禁", "{name} is unbanned"),
    "chat.slow_wait": (
        "慢速模式：请 {n} 秒后再发言",
        "Slow mode: wait {n} s before your next comment",
    ),
    "live_admin.watch_replay": ("观看回看", "Watch the replay"),
    "live_admin.ended_health": (
        "直播已结束，推流状态不再更新",
        "The show has ended: no live figures",
    ),
    "mod.state_open": ("评论开放中", "Chat is open"),
    "mod.state_closed": ("评论已关闭", "Chat is closed"),
    "mod.state_not_live": ("直播未在进行，评论暂不开放", "Not live: chat opens during the show"),
    "res_admin.upload": ("上传资源", "Upload a resource"),
    "res_admin.file": ("选择文件", "File"),
    "res_admin.start_upload": ("开始上传", "Start upload"),
    "res_admin.pause": ("暂停", "Pause"),
    "res_admin.resume": ("继续上传", "Resume upload"),
    "res_admin.paused": ("上传已暂停", "Upload paused"),
    "res_admin.progress": (
        "已上传 {percent}%（{sent} / {total}）",
        "{percent}% uploaded ({sent} of {total})",
    ),
    "res_admin.upload_done": ("上传完成，请填写资源信息", "Uploaded; now describe the resource"),
    "res_admin.upload_resumed_done": (
        "已从上次中断处继续并完成上传，请填写资源信息",
        "The upload continued where it stopped and is complete; now describe the resource",
    ),
    "res_admin.can_resume": (
        "这个文件上次没有传完，开始上传将从中断处继续",
        "This file's last upload did not finish; starting continues where it stopped",
    ),
    "res_admin.describe": ("资源信息", "About the resource"),
    "res_admin.title": ("标题", "Title"),
    "res_admin.category": ("分类", "Category"),
    "res_admin.kind": ("类型", "Kind"),
    "res_admin.kind_auto": ("自动识别", "Detect"),
    "res_admin.kind_video": ("视频", "Video"),
    "res_admin.kind_audio": ("音频", "Audio"),
    "res_admin.performer": ("表演者 / 主讲人", "Performer / speaker"),
    "res_admin.series": ("所属专辑", "Series"),
    "res_admin.no_series": ("（不属于专辑）", "(no series)"),
    "res_admin.episode": ("集数", "Episode"),
    "res_admin.create": ("创建资源", "Create the resource"),
    "res_admin.list": ("资源列表", "Resources"),
    "res_admin.empty": ("还没有资源", "No resources yet"),
    "res_admin.published": ("已发布", "Published"),
    "res_admin.yes": ("是", "Yes"),
    "res_admin.no": ("否", "No"),
    "res_admin.edit": ("编辑", "Edit"),
    "res_admin.publish": ("发布", "Publish"),
    "res_admin.unpublish": ("取消发布", "Unpublish"),
    "res_admin.published_done": ("已发布“{name}”", "Published “{name}”"),
    "res_admin.unpublished_done": ("已取消发布“{name}”", "Unpublished “{name}”"),
    "res_admin.retry": ("重新处理", "Retry"),
    "res_admin.retrying": ("“{name}”已重新开始处理", "Processing “{name}” again"),
    "res_admin.saved": ("已保存“{name}”", "Saved “{name}”"),
    "res_admin.description": ("简介", "Description"),
    "res_admin.tags": ("标签", "Tags"),
    "res_admin.tags_hint": (
        "用逗号或顿号分隔，如：越剧、经典",
        "Separated by commas, e.g. opera, classic",
    ),
    "res_admin.publish_failed": (
        "处理失败，不能发布：请重新处理或重新上传",
        "Processing failed, so it cannot be published: retry or upload it again",
    ),
    "res_admin.publish_wait": ("处理完成后才能发布", "Can be published once processing is done"),
    "res_status.uploaded": ("等待处理", "Waiting"),
    "res_status.processing": ("处理中", "Processing"),
    "res_status.ready": ("可播放", "Ready"),
    "res_status.failed": ("处理失败", "Failed"),
    "series_admin.title": ("专辑管理", "Series"),
    "series_admin.new": ("新建专辑", "New series"),
    "series_admin.name": ("专辑名称", "Series title"),
    "series_admin.draft": ("未发布", "Draft"),
    "series_admin.episodes": ("排序选集", "Order episodes"),
    "series_admin.move_up": ("上移", "Move up"),
    "series_admin.move_down": ("下移", "Move down"),
    "series_admin.reordered": ("选集顺序已保存", "Episode order saved"),
    "stats.title": ("数据统计", "Statistics"),
    "stats.from": ("开始日期", "From"),
    "stats.to": ("结束日期", "To"),
    "stats.show": ("查看", "Show"),
    "stats.plays": ("观看人次", "Plays"),
    "stats.watch_hours": ("观看时长", "Watch time"),
    "stats.hours_value": ("{n}小时", "{n} h"),
    "stats.minutes_value": ("{n}分钟", "{n} min"),
    "stats.not_applicable": ("不适用", "n/a"),
    "stats.under_one": ("不足1人", "Under 1"),
    "stats.effective": ("有效观看", "Effective views"),
    "stats.completion_rate": ("播完率", "Completion rate"),
    "stats.unique_viewers": ("观看人数（逐日合计）", "Unique viewers (daily, summed)"),
    "stats.count_axis": ("人次", "Count"),
    "stats.hours_axis": ("小时", "Hours"),
    "stats.trend": ("每日趋势", "Daily trend"),
    "stats.by_terminal": ("终端分布", "By terminal"),
    "stats.by_category": ("分类分布", "By category"),
    "stats.children": ("下级机构", "Child organizations"),
    "stats.top": ("热门排行", "Top items"),
    "stats.rank": ("排名", "Rank"),
    "stats.item": ("节目", "Item"),
    "stats.none": ("暂无数据", "No data yet"),
    "stats.csv_org": ("导出报表（CSV）", "Export report (CSV)"),
    "stats.csv_ranking": ("导出排行（CSV）", "Export ranking (CSV)"),
    "stats.csv_monthly": ("导出月报（CSV）", "Export monthly report (CSV)"),
    "stats.live_title": ("直播在线人数", "Live viewers"),
    "stats.live_event": ("直播", "Live event"),
    "stats.current_viewers": ("当前在线", "Watching now"),
    "stats.peak_viewers": ("峰值在线", "Peak"),
    "stats.peak_value": ("{n}（{when}）", "{n} ({when})"),
    "stats.monthly": ("月度报告", "Monthly report"),
    "stats.month": ("月份", "Month"),
    "stats.cumulative_plays": ("累计观看人次", "Plays to date"),
    "stats.avg_daily_active": ("日均活跃观众", "Average daily viewers"),
    "stats.peak_day": ("最高一天", "Busiest day"),
    "stats.peak_day_value": ("{day}：{n}人", "{day}: {n} viewers"),
    "stats.sites": ("站点数", "Sites"),
    "terminal.web": ("电脑网页", "Web"),
    "terminal.mobile_h5": ("手机网页", "Mobile web"),
    "terminal.wechat": ("微信", "WeChat"),
    "terminal.app": ("App", "App"),
    "terminal.tv": ("电视", "TV"),
    "error.live_event_not_found": ("直播不存在或已被删除", "This live event does not exist"),
    "error.live_target_not_found": ("转推目标不存在或已被删除", "This push target does not exist"),
    "error.unsupported_target_scheme": (
        "推流地址只能以 rtmp://、rtmps:// 或 srt:// 开头",
        "The push URL must start with rtmp://, rtmps:// or srt://",
    ),
    "error.invalid_target_url": ("推流地址无效", "The push URL is not valid"),
    "error.invalid_target_name": ("请填写转推名称", "Give the push target a name"),
    "error.invalid_target_key": ("推流码无效", "The stream key is not valid"),
    "error.invalid_target": ("转推设置无效", "The push target is not valid"),
    "error.too_many_targets": (
        "转推目标已达上限",
        "This event has as many push targets as allowed",
    ),
    "error.invalid_live_event": (
        "直播信息填写有误",
        "Some of the live event's fields are not valid",
    ),
    "error.event_on_air": ("直播正在进行，请先结束直播", "The show is on air; end it first"),
    "error.event_ended": (
        "直播已结束，不能再操作",
        "The show has ended; this is no longer possible",
    ),
    "error.resource_not_found": ("资源不存在或已被删除", "This resource does not exist"),
    "error.series_not_found": ("专辑不存在或已被删除", "This series does not exist"),
    "error.series_org_mismatch": (
        "专辑和资源属于不同机构",
        "The series belongs to another organization than the resource",
    ),
    "error.invalid_category": ("请选择有效的分类", "Choose a valid category"),
    "error.invalid_kind": ("类型无效", "That kind is not valid"),
    "error.not_failed": ("只有处理失败的资源可以重新处理", "Only a failed resource can be retried"),
    "error.job_busy": ("正在处理中，请稍后", "It is being processed; wait a moment"),
    "error.upload_not_found": (
        "上传已过期或不存在，请重新上传",
        "The upload expired or does not exist; upload the file again",
    ),
    "error.upload_unfinished": ("文件还没有传完", "The file has not finished uploading"),
    "error.upload_too_large": (
        "文件太大，超过了上传上限",
        "The file is larger than the upload limit",
    ),
    "error.upload_in_use": (
        "这个上传已用于其他资源",
        "This upload was already used for a resource",
    ),
    "error.upload_locked": (
        "该上传正在另一个窗口进行，请稍后再试",
        "This upload is in progress elsewhere; try again shortly",
    ),
    "error.offset_mismatch": ("上传位置不一致，正在重试", "The upload position differed; retrying"),
    "error.storage_unavailable": (
        "服务器存储暂时不可用，已传的部分会保留，请稍后继续上传",
        "The server's storage is failing for now; what was sent is kept, resume the upload later",
    ),
    "error.org_required": ("请选择所属机构", "Choose the organization"),
    "error.invalid_query": ("查询条件有误", "The query is not valid"),
    "error.aborted": ("上传已暂停", "The upload was paused"),
    "level.1": ("省级", "Province"),
    "level.2": ("市级", "City"),
    "level.3": ("县级", "County"),
    "level.4": ("乡镇", "Township"),
    "level.5": ("村级", "Village"),
    "role.platform_admin": ("平台管理员", "Platform admin"),
    "role.org_admin": ("机构管理员", "Organization admin"),
    "role.editor": ("编辑", "Editor"),
    "role.viewer": ("观众", "Viewer"),
    # API error codes (server/errors.py and the accounts service), then the client's own
    "error.bad_credentials": ("用户名或密码错误", "Wrong user name or password"),
    "error.rate_limited": (
        "失败次数过多，请 15 分钟后再试",
        "Too many failed attempts; wait 15 minutes and try again",
    ),
    "error.bad_token": ("登录已过期，请重新登录", "Your session has expired; sign in again"),
    "error.unauthorized": ("请先登录", "Please sign in first"),
    "error.forbidden": ("您没有权限执行此操作", "You are not allowed to do this"),
    "error.not_found": ("对象不存在或已被删除", "Not found, or already deleted"),
    "error.vote_limit": ("已达投票上限", "You have used your votes"),
    "error.campaign_closed": ("现在不能投票", "Voting is not open now"),
    "error.login_required": ("本次投票需登录后参与", "Sign in to vote in this campaign"),
    "error.unknown_entry": ("该作品不在本次投票中", "No such entry in this campaign"),
    "error.too_deep": (
        "村级机构下不能再建下级机构",
        "A village-level organization cannot have children",
    ),
    "error.org_not_empty": (
        "该机构还有下级机构、用户、直播、资源、专辑或未完成的上传，请先删除或移走它们",
        "This organization still has child organizations, users, live events, resources, "
        "series or unfinished uploads; remove them first",
    ),
    "error.username_taken": (
        "该用户名已被占用，请换一个",
        "That user name is taken; choose another",
    ),
    "error.weak_password": (
        "密码太短，请设置更长的密码",
        "The password is too short; choose a longer one",
    ),
    "error.invalid_body": ("填写的内容不符合要求", "Some of the fields are not valid"),
    "error.role_change_not_possible": (
        "无法更改该用户的角色",
        "This user's role cannot be changed",
    ),
    "error.conflict": ("与现有数据冲突", "This conflicts with existing data"),
    "error.bad_request": ("请求有误", "The request was not valid"),
    "error.malformed_json": ("请求有误", "The request was not valid"),
    "error.invalid_encoding": ("请求的文字编码有误", "The request's text encoding was not valid"),
    "error.unsupported_media_type": ("请求格式有误", "The request's format was not valid"),
    "error.payload_too_large": ("内容太大", "That is too large"),
    "error.engine_unavailable": (
        "服务暂时不可用，请稍后重试",
        "The service is temporarily unavailable; try again shortly",
    ),
    "error.internal_error": ("服务器出错，请稍后重试", "Server error; try again later"),
    "error.network": (
        "网络连接失败，请检查网络后重试",
        "Network error; check the connection and try again",
    ),
    "error.unknown": ("操作失败", "The request failed"),
    # Viewer pages: live chat, replay comments, playback (one block, kept by the viewer pages)
    "chat.nickname": ("昵称", "Nickname"),
    "chat.nickname_default": ("文化爱好者", "Culture lover"),
    "chat.as": ("以“{name}”的身份发言", "Commenting as “{name}”"),
    "chat.mark.guest": ("游客", "Guest"),
    "chat.mark.staff": ("工作人员", "Staff"),
    "chat.offline": ("评论暂时连接不上，正在重试…", "Comments are offline; reconnecting…"),
    "chat.retry": ("重新连接", "Reconnect"),
    "chat.replay_title": ("直播评论", "Comments from the show"),
    "live.waiting": (
        "直播尚未开始，开播后将自动播放",
        "Not started yet; it plays once the show begins",
    ),
    "error.not_playable": (
        "暂时无法播放：节目未发布、仍在处理中或尚未开始",
        "Cannot play yet: not published, still processing, or not started",
    ),
    "error.unknown_session": ("播放已过期，请刷新页面", "Playback expired; reload the page"),
    "page.suggested": ("看看这些节目", "Programmes to watch"),
    # The end of a live show, on the page that watched it (issue 14).
    "live.ended_title": ("直播已结束", "The live show has ended"),
    "live.watch_replay": ("观看回看", "Watch the replay"),
    "live.replay_preparing": ("回看生成中…", "Preparing the replay…"),
    "live.ended_viewers": ("结束时{n}人在看", "{n} watching at the end"),
    "live.ended_likes": ("本场共{n}次点赞", "{n} likes in this show"),
    "live.ended_chat": (
        "评论已结束，以下是本场评论",
        "Comments have ended; these are the show's comments",
    ),
    # Covers (issue 14)
    "cover.title": ("封面", "Cover"),
    "cover.current": ("当前封面", "Current cover"),
    "cover.upload": ("上传封面", "Upload cover"),
    "cover.remove": ("移除封面", "Remove cover"),
    "cover.hint": (
        "JPEG、PNG 或 WebP 图片，不超过 5 MB",
        "A JPEG, PNG or WebP image, at most 5 MB",
    ),
    "cover.none": (
        "还没有上传封面，现在显示自动生成的封面",
        "No cover uploaded; a generated one is shown",
    ),
    "cover.preview_unavailable": (
        "已上传封面；草稿的封面需配置签名密钥后才能预览",
        "A cover is uploaded; a draft's cover can be previewed once a signing secret is set",
    ),
    "cover.uploading": ("正在上传《{name}》的封面…", "Uploading the cover of “{name}”…"),
    "cover.uploaded": ("《{name}》的封面已更新", "The cover of “{name}” is updated"),
    "cover.removed": ("《{name}》的封面已移除", "The cover of “{name}” is removed"),
    "cover.confirm_remove": ("确定移除《{name}》的封面吗？", "Remove the cover of “{name}”?"),
    "error.cover_empty": ("封面图片是空的", "The cover image is empty"),
    "error.cover_too_large": ("封面图片不能超过 5 MB", "A cover image may be at most 5 MB"),
    "error.cover_type_unsupported": (
        "封面只支持 JPEG、PNG 或 WebP 图片",
        "A cover must be a JPEG, PNG or WebP image",
    ),
    "error.cover_not_an_image": ("这个文件不是图片", "This file is not a picture"),
    "error.cover_type_mismatch": (
        "图片的实际格式与文件类型不符",
        "The picture's format does not match its file type",
    ),
}

# Said once elsewhere, read from there: the categories' labels (core) and the chat's refusal
# sentences (chat owns its wire sentences; the page shows them for the refusal's code, in
# sentence case).
_REFUSALS: Final = {
    code: (sentence.zh, sentence.en[:1].upper() + sentence.en[1:])
    for code, sentence in REFUSAL_MESSAGES.items()
}
# The live data screen (/screen/<org_id>, issue 16).
_SCREEN_MESSAGES: Final[dict[str, tuple[str, str]]] = {
    "screen.title": ("数据大屏", "Data screen"),
    "screen.live_now": ("正在直播", "Live now"),
    "screen.viewers": ("在线人数", "Viewers"),
    "screen.today": ("今日", "Today"),
    "screen.yesterday": ("昨日", "Yesterday"),
    "screen.plays": ("观看人次", "Plays"),
    "screen.watch_hours": ("观看时长(小时)", "Watch hours"),
    "screen.unique_viewers": ("观看人数", "Unique viewers"),
    "screen.provinces": ("观众地域分布", "Viewers by province"),
    "screen.terminals": ("终端分布", "Terminals"),
    "screen.devices": ("设备分布", "Devices"),
    "screen.top_items": ("热门节目", "Top items"),
    "screen.activity": ("实时动态", "Recent activity"),
    "screen.sign_in": (
        "请先在管理后台登录（同一标签页），再打开数据大屏。",
        "Sign in to the admin console (in this tab) first, then open the data screen.",
    ),
    "screen.none": ("暂无", "None yet"),
}
# The data center in the console (issue 16): site types and the statistics tab's reports.
_DATA_CENTER_MESSAGES: Final[dict[str, tuple[str, str]]] = {
    "site.rural": ("农村", "Rural"),
    "site.community": ("社区", "Community"),
    "site.institution": ("机关事业单位", "Public institution"),
    "site.other": ("其他", "Other"),
    "site.edit": ("站点设置", "Site"),
    "site.type": ("站点类型", "Site type"),
    "site.expected_learners": ("应学人数", "Expected learners"),
    "site.saved": ("已保存“{name}”的站点设置", "Saved the site of “{name}”"),
    "site.referer_allow": ("防盗链：允许嵌入播放的网站", "Sites allowed to embed its media"),
    "site.referer_placeholder": (
        "防盗链网站，如 www.example.cn（留空不限制）",
        "Allowed sites, e.g. www.example.cn (empty: any site)",
    ),
    "site.referer_hint": (
        "填写网站域名，多个用逗号或顿号分隔；留空则任何网站都可嵌入播放。",
        "Host names, separated by commas; empty lets any site embed the media.",
    ),
    "site.referer_count": ("防盗链 {n} 个网站", "allowed sites: {n}"),
    "dc.live_report": ("直播报告", "Live show report"),
    "dc.print": ("打印报告", "Print the report"),
    "dc.csv_live": ("导出直播报告（CSV）", "Export the live report (CSV)"),
    "dc.average_watch": ("平均观看时长（分钟）", "Average watch time (minutes)"),
    "dc.comments": ("评论数", "Comments"),
    "dc.likes": ("点赞数", "Likes"),
    "dc.by_region": ("地域分布", "By region"),
    "dc.by_device": ("设备分布", "By device"),
    "dc.region": ("地区", "Region"),
    "dc.device": ("设备", "Device"),
    "dc.shows": ("直播场次", "Live shows"),
    "dc.views_per_show": ("场均观看", "Views per show"),
    "dc.hot_words": ("学习热词", "Hot search words"),
    "dc.term": ("搜索词", "Term"),
    "dc.count": ("次数", "Count"),
    "dc.site_types": ("各类站点有效学习时长（小时）", "Effective learning hours by site type"),
    "dc.total": ("合计", "Total"),
    "dc.average_per_site": ("站点平均（小时）", "Average per site (hours)"),
    "dc.csv_site_types": ("导出站点表（CSV）", "Export the site table (CSV)"),
    "dc.screen": ("打开数据大屏", "Open the data screen"),
}
_ORG_SCHEDULE_MESSAGES: Final[dict[str, tuple[str, str]]] = {
    # 机构主页 /o/<org_id> and 节目单 /schedule (issue 14)
    "nav.schedule": ("节目单", "Schedule"),
    "org.title": ("机构主页", "Organization"),
    "org.not_found": ("没有找到这个机构", "This organization could not be found"),
    "org.resources": ("点播资源", "Media"),
    "org.empty": ("这个机构还没有公开的节目", "This organization has no public shows yet"),
    "schedule.title": ("节目单", "Schedule"),
    "schedule.intro": ("即将开播的直播，按日期排列", "Shows coming up, day by day"),
    "schedule.today": ("今天", "Today"),
    "schedule.tomorrow": ("明天", "Tomorrow"),
    "schedule.empty": ("暂无即将开播的节目", "No shows are coming up"),
    "schedule.add": ("加入日历", "Add to calendar"),
    "schedule.add_label": ("加入日历：{title}", "Add to calendar: {title}"),
    "schedule.reminder": ("《{title}》10分钟后开播", "“{title}” starts in 10 minutes"),
    "schedule.see_all": ("查看完整节目单", "See the full schedule"),
}
_MESSAGES: Final[dict[str, tuple[str, str]]] = {
    **_PAGE_MESSAGES,
    **_ORG_SCHEDULE_MESSAGES,
    **_SCREEN_MESSAGES,
    **_DATA_CENTER_MESSAGES,
    **{f"category.{c.value}": labels for c, labels in LABELS.items()},
    **{f"chat.refused.{code.value}": texts for code, texts in _REFUSALS.items()},
    "chat.not_live": _REFUSALS[RefusalCode.NOT_LIVE],
    "chat.login_required": _REFUSALS[RefusalCode.LOGIN_REQUIRED],
}

_PLACEHOLDER = re.compile(r"\{(\w+)\}")


def _build(index: int) -> Mapping[str, str]:
    return MappingProxyType({key: texts[index] for key, texts in _MESSAGES.items()})


CATALOGUES: Final[Mapping[Lang, Mapping[str, str]]] = MappingProxyType(
    {lang: _build(i) for i, lang in enumerate(LANGS)}
)
"""Immutable: language → key → text."""


def choose_lang(query: str | None, cookie: str | None) -> Lang:
    """``?lang=`` wins, then the remembered cookie, then zh-CN (not Accept-Language: the
    platform is Chinese first, and many phones in China are set to English)."""
    return parse_lang(query) or parse_lang(cookie) or DEFAULT_LANG


def translate(lang: Lang, key: str, **params: object) -> str:
    """The text of ``key`` with ``{name}`` placeholders filled; an unknown key raises
    ``KeyError`` (pages are rendered in tests, so it cannot reach a viewer)."""
    text = CATALOGUES[lang][key]
    if not params:
        return text
    return _PLACEHOLDER.sub(lambda m: str(params.get(m.group(1), m.group(0))), text)


def placeholders(text: str) -> frozenset[str]:
    """The ``{name}`` placeholders in ``text``."""
    return frozenset(_PLACEHOLDER.findall(text))
