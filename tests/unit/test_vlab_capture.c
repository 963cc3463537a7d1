/* Unit tests of `vlab capture`'s pure parts: its arguments and filter check
 * (control/capture_args.c) and the client side of the capture stream
 * (control/capstream.c): records in any pieces, ports, the merge in time
 * order, and streams that are not capture streams. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "capstream.h"
#include "capture_args.h"

static int parse(const char *line, struct capargs *a, char *err, size_t len)
{
	static char buf[512];
	char *argv[32];
	int argc = 0;

	snprintf(buf, sizeof(buf), "%s", line);
	for (char *t = strtok(buf, " "); t; t = strtok(NULL, " "))
		argv[argc++] = strcmp(t, "~") ? t : "icmp or udp";
	return capargs_parse(argc, argv, a, err, len);
}

static void bad(const char *line, const char *needle)
{
	struct capargs a;
	char err[512] = "";

	if (parse(line, &a, err, sizeof(err)) != -EINVAL || !strstr(err, needle))
		fail_msg("'%s': want an error with '%s', got '%s'", line, needle, err);
}

static void test_args(void **state)
{
	struct capargs a;
	char err[512];

	assert_int_equal(parse("a1:eth0", &a, err, sizeof(err)), 0);
	assert_int_equal(a.n_targets, 1);
	assert_int_equal(a.out, CAPARGS_OUT_AUTO);
	assert_int_equal(a.snaplen, 65535);
	assert_string_equal(a.direction, "both");
	assert_int_equal(a.format, CAPFILE_PCAPNG);
	if (parse("red lab/b1 -w - -c 10 -s 96 --duration 2.5 --direction in --format pcap -q -f ~",
		  &a, err, sizeof(err)) != 0)
		fail_msg("%s", err);
	assert_int_equal(a.n_targets, 2);
	assert_int_equal(a.out, CAPARGS_OUT_STDOUT);
	assert_int_equal(a.count, 10);
	assert_int_equal(a.snaplen, 96);
	assert_int_equal(a.duration_ms, 2500);
	assert_string_equal(a.direction, "in");
	assert_int_equal(a.format, CAPFILE_PCAP);
	assert_true(a.quiet);
	assert_string_equal(a.filter, "icmp or udp");
	assert_int_equal(parse("red -wout.pcapng --snaplen=128 --duration=500ms", &a, err,
			       sizeof(err)),
			 0);
	assert_string_equal(a.file, "out.pcapng");
	assert_int_equal(a.snaplen, 128);
	assert_int_equal(a.duration_ms, 500);
	assert_int_equal(parse("red --recent -w last.pcapng", &a, err, sizeof(err)), 0);
	assert_true(a.recent);
	assert_int_equal(parse("--help", &a, err, sizeof(err)), 0);
	assert_true(a.help);

	bad("", "name what to capture");
	bad("red -c 0", "-c '0'");
	bad("red -c x", "-c 'x'");
	bad("red -s 70000", "1 to 65535");
	bad("red --duration -1", "--duration '-1'");
	bad("red --duration 5y", "--duration '5y'");
	bad("red --direction up", "use in (frames the node sends)");
	bad("red --format pcapx", "use pcapng or pcap");
	bad("red -w", "needs a value");
	bad("red --frob", "unknown option '--frob'");
	bad("red --recent -f icmp", "--recent writes what a network's recorder holds");
	bad("red -f icmp&&", "filter 'icmp&&'");
}

static void test_duration(void **state)
{
	uint64_t ms;

	assert_int_equal(capargs_parse_duration("10", &ms), 0);
	assert_int_equal(ms, 10000);
	assert_int_equal(capargs_parse_duration("1m", &ms), 0);
	assert_int_equal(ms, 60000);
	assert_int_equal(capargs_parse_duration("1.5s", &ms), 0);
	assert_int_equal(ms, 1500);
	assert_int_equal(capargs_parse_duration("0", &ms), -EINVAL);
	assert_int_equal(capargs_parse_duration("nan", &ms), -EINVAL);
	assert_int_equal(capargs_parse_duration("", &ms), -EINVAL);
}

/* Appends one record to buf at *len. */
static void rec(uint8_t *buf, size_t *len, uint16_t type, uint16_t port, uint64_t ts,
		uint8_t dir, const void *body, uint32_t blen, uint32_t orig)
{
	struct cap_rec h = {.magic = CAP_MAGIC, .type = type, .port = port, .len = blen,
			    .orig_len = orig, .ts_ns = ts, .dir = dir};

	memcpy(buf + *len, &h, sizeof(h));
	memcpy(buf + *len + sizeof(h), body, blen);
	*len += sizeof(h) + blen;
}

static void port_rec(uint8_t *buf, size_t *len, uint16_t port, const char *name, const char *net)
{
	uint8_t b[128];
	struct cap_rec_port rp = {.vni = 100, .name_len = (uint16_t)strlen(name),
				  .net_len = (uint16_t)strlen(net)};

	memcpy(b, &rp, sizeof(rp));
	memcpy(b + sizeof(rp), name, rp.name_len);
	memcpy(b + sizeof(rp) + rp.name_len, net, rp.net_len);
	rec(buf, len, CAP_REC_PORT, port, 0, 0, b, (uint32_t)(sizeof(rp) + rp.name_len + rp.net_len),
	    0);
}

static void test_stream(void **state)
{
	static uint8_t buf[4096];
	struct capstream cs;
	struct capstream_pkt *k;
	struct cap_rec_end end = {.captured = 3, .filtered = 1, .lost = 2};
	size_t len = 0;
	uint8_t frame[60] = {1, 2, 3};

	assert_int_equal(capstream_init(&cs), 0);
	port_rec(buf, &len, 7, "lab.a1-eth0", "lab.red");
	port_rec(buf, &len, 9, "lab.b1-eth0", "lab.red");
	/* two PMDs' packets, out of order between them */
	rec(buf, &len, CAP_REC_PACKET, 7, 3000, CAP_DIR_IN, frame, 60, 60);
	rec(buf, &len, CAP_REC_PACKET, 9, 1000, CAP_DIR_OUT, frame, 40, 1500);
	rec(buf, &len, CAP_REC_PACKET, 7, 2000, CAP_DIR_IN, frame, 60, 60);
	rec(buf, &len, CAP_REC_END, 0, 0, 0, &end, sizeof(end), 0);
	/* fed a byte at a time */
	for (size_t i = 0; i < len; i++)
		assert_int_equal(capstream_feed(&cs, buf + i, 1), 0);
	assert_true(cs.ended);
	assert_false(capstream_partial(&cs));
	assert_int_equal(cs.end.lost, 2);
	assert_true(cs.port[7].known);
	assert_string_equal(cs.port[7].name, "lab.a1-eth0");
	assert_string_equal(cs.port[9].net, "lab.red");
	assert_int_equal(cs.port[9].vni, 100);
	assert_null(capstream_pop(&cs, 999));
	k = capstream_pop(&cs, UINT64_MAX);
	assert_int_equal(k->ts_ns, 1000);
	assert_int_equal(k->port, 9);
	assert_int_equal(k->caplen, 40);
	assert_int_equal(k->origlen, 1500);
	free(k);
	k = capstream_pop(&cs, 2500);
	assert_int_equal(k->ts_ns, 2000);
	free(k);
	assert_null(capstream_pop(&cs, 2500));
	k = capstream_pop(&cs, UINT64_MAX);
	assert_int_equal(k->ts_ns, 3000);
	assert_int_equal(k->dir, CAP_DIR_IN);
	assert_int_equal(k->data[2], 3);
	free(k);
	assert_null(capstream_pop(&cs, UINT64_MAX));
	/* nothing after the end */
	assert_int_equal(capstream_feed(&cs, buf, sizeof(struct cap_rec)), -EPROTO);
	capstream_free(&cs);

	/* not a capture stream; a cut record; a port record that does not add up */
	assert_int_equal(capstream_init(&cs), 0);
	{
		static const char json[] = "{\"id\":1,\"result\":{}}\n{\"id\":2,\"result\":{}}\n";

		assert_int_equal(capstream_feed(&cs, json, strlen(json)), -EPROTO);
	}
	capstream_free(&cs);
	assert_int_equal(capstream_init(&cs), 0);
	len = 0;
	rec(buf, &len, CAP_REC_PACKET, 1, 5, CAP_DIR_IN, frame, 60, 60);
	assert_int_equal(capstream_feed(&cs, buf, len - 1), 0);
	assert_true(capstream_partial(&cs));
	assert_null(capstream_pop(&cs, UINT64_MAX));
	capstream_free(&cs);
	assert_int_equal(capstream_init(&cs), 0);
	len = 0;
	port_rec(buf, &len, 1, "p", "n");
	((struct cap_rec_port *)(buf + sizeof(struct cap_rec)))->name_len = 60;
	assert_int_equal(capstream_feed(&cs, buf, len), -EPROTO);
	capstream_free(&cs);
}

/* Many packets in random order come out sorted, equal times in arrival order. */
static void test_merge_order(void **state)
{
	static uint8_t buf[1 << 20];
	struct capstream cs;
	struct capstream_pkt *k;
	uint64_t prev_ts = 0, prev_seq = 0;
	size_t len = 0;
	uint8_t f[16] = {0};
	int n = 0;

	srand(7);
	assert_int_equal(capstream_init(&cs), 0);
	for (int i = 0; i < 5000; i++)
		rec(buf, &len, CAP_REC_PACKET, (uint16_t)(i % 3), (uint64_t)(rand() % 500), 1, f, 16,
		    16);
	assert_int_equal(capstream_feed(&cs, buf, len), 0);
	while ((k = capstream_pop(&cs, UINT64_MAX)) != NULL) {
		assert_true(k->ts_ns > prev_ts || (k->ts_ns == prev_ts && (n == 0 || k->seq > prev_seq)));
		prev_ts = k->ts_ns;
		prev_seq = k->seq;
		n++;
		free(k);
	}
	assert_int_equal(n, 5000);
	capstream_free(&cs);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_args),
	    cmocka_unit_test(test_duration),
	    cmocka_unit_test(test_stream),
	    cmocka_unit_test(test_merge_order),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
