// The IP list of Main settings without a database: what an entry may be,
// how it is stored, and how a client's address is matched.
import t from 'tap'
import { ipAllowed, ipInEntries, parseIpList, sameAddress } from '../../src/lib/ip-access.ts'
import { isTimeZone, timeZoneChoices, utcOffset } from '../../src/lib/time-zones.ts'

t.test('entries that are not an address or a range are refused, naming the line', async (t) => {
  for (const bad of ['10.0.0.0/33', '1.2.3', '::g', '010.0.0.1', '1.2.3.4/08', '1.2.3.4/', '/24', 'fe80::1%eth0', '2001:db8::/129', '10.0.0.1-10.0.0.9', 'localhost', '1.2.3.4 5.6.7.8', '0x7f.0.0.1']) {
    t.match(parseIpList(`127.0.0.1\n\n${bad}`), { ok: false, reason: 'invalid', line: 3, entry: bad }, bad)
  }
})

t.test('entries are stored normalised, blank lines and duplicates dropped', async (t) => {
  t.same(parseIpList(' 10.0.0.7/24 \r\n10.0.0.0/24\n\n192.0.2.1/32\n2001:DB8:0:0:0:0:0:1\n2001:db8::1/128\n::ffff:192.0.2.9\n::ffff:10.0.0.0/104\n0.0.0.0/0'), {
    ok: true,
    entries: ['10.0.0.0/24', '192.0.2.1', '2001:db8::1', '192.0.2.9', '10.0.0.0/8', '0.0.0.0/0']
  })
  t.same(parseIpList(''), { ok: true, entries: [] })
  const hundred = Array.from({ length: 100 }, (_, i) => `10.0.${i}.1`)
  t.equal(parseIpList([...hundred, ...hundred].join('\n')).ok, true, '100 entries, each twice: 100')
  t.match(parseIpList([...hundred, '10.1.0.1'].join('\n')), { ok: false, reason: 'too_many', count: 101 })
})

t.test('a client matches its family; IPv4-mapped IPv6 is IPv4', async (t) => {
  const list = { ipAccess: 'list' as const, ipAllowList: '10.0.0.0/24\n2001:db8::/32\n192.0.2.1' }
  const cases: Array<[string, boolean]> = [['10.0.0.255', true], ['::ffff:10.0.0.5', true], ['10.0.1.0', false], ['2001:db8:ffff::1', true], ['2001:db9::1', false], ['192.0.2.1', true], ['192.0.2.2', false], ['', false], ['not an ip', false]]
  for (const [ip, allowed] of cases) t.equal(ipAllowed(list, ip), allowed, ip)
  t.equal(ipAllowed({ ipAccess: 'any', ipAllowList: '' }, 'anything'), true, 'any IP')
  t.equal(ipAllowed({ ipAccess: 'list', ipAllowList: '' }, '10.0.0.1'), false, 'an empty list lets nobody in')
  t.equal(ipInEntries(['::/0'], '2001:db8::1'), true)
  t.equal(ipInEntries(['::/0'], '10.0.0.1'), false, 'an IPv6 range does not hold IPv4 clients')
  t.equal(sameAddress('::ffff:10.0.0.1', '10.0.0.1'), true)
  t.equal(sameAddress('2001:db8::1', '2001:DB8:0::1'), true)
  t.equal(sameAddress('10.0.0.1', '10.0.0.2'), false)
})

t.test('time zones: every IANA zone and UTC, grouped, with the offset at the moment', async (t) => {
  t.ok(isTimeZone('UTC') && isTimeZone('Europe/Moscow') && isTimeZone('America/Argentina/Salta'))
  t.notOk(isTimeZone('europe/moscow') || isTimeZone('Mars/Olympus') || isTimeZone('') || isTimeZone(3))
  const winter = new Date(Date.UTC(2026, 0, 15))
  const summer = new Date(Date.UTC(2026, 6, 15))
  t.equal(utcOffset('Europe/Berlin', winter), 'UTC+01:00')
  t.equal(utcOffset('Europe/Berlin', summer), 'UTC+02:00', 'daylight saving time')
  t.equal(utcOffset('Asia/Kolkata', winter), 'UTC+05:30')
  t.equal(utcOffset('America/St_Johns', winter), 'UTC-03:30')
  const choices = timeZoneChoices(winter)
  t.same(choices.utc, { value: 'UTC', label: '(UTC+00:00) UTC' })
  t.same(choices.groups.map((g) => g.region), ['Africa', 'America', 'Antarctica', 'Arctic', 'Asia', 'Atlantic', 'Australia', 'Europe', 'Indian', 'Pacific'])
  const europe = choices.groups.find((g) => g.region === 'Europe')!
  t.same(europe.zones.find((z) => z.value === 'Europe/Moscow'), { value: 'Europe/Moscow', label: '(UTC+03:00) Europe/Moscow' })
  t.equal(choices.groups.reduce((n, g) => n + g.zones.length, 0), Intl.supportedValuesOf('timeZone').length, 'every zone once')
})
