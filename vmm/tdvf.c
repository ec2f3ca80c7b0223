// SPDX-License-Identifier: MIT
/*
 * TDVF metadata (vmm/tdvf.h): the GUID'd table at the end of an OVMF image, the TDX metadata
 * offset entry in it, the TDVF descriptor and its sections, each read in bounds.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "vmm/tdvf.h"

/* GUIDs in their byte order in the file (the first three fields little-endian). */
static const uint8_t table_footer_guid[16] = {0xde, 0x82, 0xb5, 0x96, 0xb2, 0x1f, 0xf7, 0x45,
					      0xba, 0xea, 0xa3, 0x66, 0xc5, 0x5a, 0x08, 0x2d};
static const uint8_t metadata_offset_guid[16] = {0x35, 0x65, 0x7a, 0xe4, 0x4a, 0x98, 0x98, 0x47,
						 0x86, 0x5e, 0x46, 0x85, 0xa7, 0xbf, 0x8e, 0xc2};
static const uint8_t metadata_guid[16] = {0xf3, 0xf9, 0xea, 0xe9, 0x8e, 0x16, 0xd5, 0x44,
					  0xa8, 0xeb, 0x7f, 0x4d, 0x87, 0x38, 0xf6, 0xae};

#define TABLE_END_FROM_END 0x20 /* the table ends this many bytes before the image */
#define ENTRY_TAIL	   18	/* u16 length + GUID */
#define DESC_HDR	   16
#define SECTION_LEN	   32
#define FOUR_GIB	   0x100000000ULL

__attribute__((format(printf, 3, 4))) static int bad(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return -ENOEXEC;
}

static uint16_t rd16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static uint32_t rd32(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, 4);
	return v;
}

static uint64_t rd64(const uint8_t *p)
{
	uint64_t v;

	memcpy(&v, p, 8);
	return v;
}

const char *tdvf_section_name(uint32_t type)
{
	static const char *const names[] = {"BFV",     "CFV",	  "TD_HOB",	 "TempMem",
					    "PermMem", "Payload", "PayloadParam"};

	return type < sizeof(names) / sizeof(names[0]) ? names[type] : "?";
}

/* The data of the table entry with @guid: *data and *n bytes, or -ENOENT. */
static int table_find(const uint8_t *buf, size_t len, const uint8_t guid[16], const uint8_t **data,
		      size_t *n)
{
	size_t end = len - TABLE_END_FROM_END, start, p;
	uint16_t total = rd16(buf + end - ENTRY_TAIL);

	/* The caller checked the footer; the table is [end - total, end). */
	start = end - total;
	p = end - ENTRY_TAIL; /* the footer's own entry is skipped */
	while (p - start >= ENTRY_TAIL) {
		uint16_t l = rd16(buf + p - ENTRY_TAIL);

		if (l < ENTRY_TAIL || l > p - start)
			return -EINVAL;
		if (!memcmp(buf + p - 16, guid, 16)) {
			*data = buf + p - l;
			*n = l - ENTRY_TAIL;
			return 0;
		}
		p -= l;
	}
	return -ENOENT;
}

int tdvf_parse(const char *name, const uint8_t *buf, size_t len, struct tdvf *out, char *err,
	       size_t errlen)
{
	const uint8_t *data, *d;
	size_t n, end;
	uint32_t off, dlen;
	uint16_t total;
	int ret;

	memset(out, 0, sizeof(*out));
	if (len < TABLE_END_FROM_END + ENTRY_TAIL || len > FOUR_GIB)
		return bad(err, errlen,
			   "%s: too small or too large (%zu bytes) for a firmware image", name,
			   len);
	end = len - TABLE_END_FROM_END;
	total = rd16(buf + end - ENTRY_TAIL);
	if (memcmp(buf + end - 16, table_footer_guid, 16) || total < ENTRY_TAIL || total > end)
		return bad(err, errlen,
			   "%s: no OVMF GUID'd table at the end of the image (footer GUID "
			   "96b582de-1fb2-45f7-baea-a366c55a082d at 0x%zx)",
			   name, end - 16);
	ret = table_find(buf, len, metadata_offset_guid, &data, &n);
	if (ret == -EINVAL)
		return bad(err, errlen, "%s: an entry of the GUID'd table has a wrong length",
			   name);
	if (ret)
		return bad(err, errlen,
			   "%s: no TDX metadata in the GUID'd table (GUID "
			   "e47a6535-984a-4798-865e-4685a7bf8ec2): not a TDVF image",
			   name);
	if (n < 4)
		return bad(err, errlen, "%s: the TDX metadata offset entry has %zu bytes", name, n);
	off = rd32(data);
	if (off > len || len - off < DESC_HDR)
		return bad(err, errlen,
			   "%s: the TDX metadata offset 0x%x from the end does not leave a "
			   "descriptor inside the file",
			   name, off);
	out->descriptor_offset = len - off;
	d = buf + out->descriptor_offset;
	if (memcmp(d, "TDVF", 4))
		return bad(err, errlen, "%s: no \"TDVF\" signature at offset 0x%llx", name,
			   (unsigned long long)out->descriptor_offset);
	if (out->descriptor_offset < 16 ||
	    memcmp(d - 16, metadata_guid, 16)) /* the spec puts the GUID just before it */
		return bad(err, errlen,
			   "%s: the TDVF descriptor is not preceded by the TDX metadata GUID "
			   "e9eaf9f3-168e-44d5-a8eb-7f4d8738f6ae",
			   name);
	dlen = rd32(d + 4);
	out->version = rd32(d + 8);
	out->nr = rd32(d + 12);
	if (out->version != 1)
		return bad(err, errlen, "%s: TDVF descriptor version %u (this VMM reads 1)", name,
			   out->version);
	if (out->nr > TDVF_MAX_SECTIONS || dlen < DESC_HDR + (uint64_t)out->nr * SECTION_LEN ||
	    dlen > len - out->descriptor_offset)
		return bad(err, errlen,
			   "%s: the TDVF descriptor's length %u does not hold its %u sections "
			   "inside the file",
			   name, dlen, out->nr);
	for (unsigned int i = 0; i < out->nr; i++) {
		const uint8_t *e = d + DESC_HDR + i * SECTION_LEN;
		struct tdvf_section *s = &out->s[i];

		s->data_offset = rd32(e);
		s->raw_size = rd32(e + 4);
		s->address = rd64(e + 8);
		s->size = rd64(e + 16);
		s->type = rd32(e + 24);
		s->attributes = rd32(e + 28);
		if (s->address % 4096 || s->size % 4096 || s->raw_size > s->size ||
		    s->address + s->size < s->address)
			return bad(err, errlen,
				   "%s: TDVF section %u (%s): memory 0x%llx + 0x%llx with 0x%x "
				   "bytes of data is not page-aligned or overflows",
				   name, i, tdvf_section_name(s->type),
				   (unsigned long long)s->address, (unsigned long long)s->size,
				   s->raw_size);
		if (s->type == TDVF_BFV && !out->image_size) {
			/* The BFV ends at 4 GiB: the image is its offset + its size. */
			if (s->address + s->size != FOUR_GIB || s->raw_size != s->size)
				return bad(err, errlen,
					   "%s: the BFV (0x%llx + 0x%llx) does not end at 4 GiB",
					   name, (unsigned long long)s->address,
					   (unsigned long long)s->size);
			out->image_size = (uint64_t)s->data_offset + s->raw_size;
		}
	}
	if (!out->image_size)
		return bad(err, errlen, "%s: the TDVF descriptor has no BFV section", name);
	if (out->image_size < len)
		return bad(err, errlen,
			   "%s: the file (%zu bytes) is larger than the image its BFV describes "
			   "(0x%llx bytes)",
			   name, len, (unsigned long long)out->image_size);
	return 0;
}
