/*
 * original_dst.node: the original destination of a TCP connection that an
 * iptables REDIRECT (or DNAT) sent to this process, as Envoy's original_dst
 * listener filter reads it.
 *
 *   originalDst(fd: number): { address: string, port: number, family: 4 | 6 } | null
 *
 * IPv4 connections (also IPv4-mapped ones on a dual-stack AF_INET6 socket):
 * getsockopt(SOL_IP, SO_ORIGINAL_DST). IPv6 connections:
 * getsockopt(SOL_IPV6, IP6T_SO_ORIGINAL_DST). null when the kernel has no
 * original destination for the socket (ENOENT: no conntrack entry, i.e. not
 * NATed or conntrack off; ENOPROTOOPT: conntrack not loaded for the family, or
 * not TCP/SCTP). Any other failure (EBADF, ENOTSOCK, ...) throws an Error whose
 * message carries the errno text and whose code is the errno name.
 *
 * The kernel fills fixed-size sockaddr structures on the stack; addresses are
 * formatted with inet_ntop into buffers of INET6_ADDRSTRLEN. No allocation, no
 * state, Node-API only.
 */
#define _GNU_SOURCE /* strerrorname_np (glibc >= 2.32) */
#define NAPI_VERSION 8
#include <node_api.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

/* The option numbers are kernel ABI (both 80). They are defined here instead of
 * including <linux/netfilter_ipv4.h> and <linux/netfilter_ipv6/ip6_tables.h>,
 * whose kernel headers clash with glibc's <netinet/in.h>. */
#ifndef SO_ORIGINAL_DST
#define SO_ORIGINAL_DST 80
#endif
#ifndef IP6T_SO_ORIGINAL_DST
#define IP6T_SO_ORIGINAL_DST 80
#endif
#ifndef SOL_IP
#define SOL_IP 0
#endif
#ifndef SOL_IPV6
#define SOL_IPV6 41
#endif

#define CHECK(env, call)                                                        \
  do {                                                                          \
    if ((call) != napi_ok) {                                                    \
      napi_throw_error((env), "ERR_ORIGINAL_DST_NAPI", "Node-API call failed: " #call); \
      return NULL;                                                              \
    }                                                                           \
  } while (0)

/* Throws Error("<what> on fd N: <strerror> (<ENAME>)") with .code = "<ENAME>". */
static napi_value throw_errno(napi_env env, const char *what, int fd, int err) {
  const char *name = NULL;
#if defined(__GLIBC__) && (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 32))
  name = strerrorname_np(err);
#endif
  char msg[256];
  /* glibc's strerror returns constant text for every known errno. */
  snprintf(msg, sizeof msg, "%s on fd %d: %s%s%s%s", what, fd, strerror(err), name ? " (" : "", name ? name : "", name ? ")" : "");
  napi_throw_error(env, name, msg);
  return NULL;
}

static napi_value make_result(napi_env env, const char *address, unsigned port, unsigned family) {
  napi_value obj, v;
  CHECK(env, napi_create_object(env, &obj));
  CHECK(env, napi_create_string_utf8(env, address, NAPI_AUTO_LENGTH, &v));
  CHECK(env, napi_set_named_property(env, obj, "address", v));
  CHECK(env, napi_create_uint32(env, port, &v));
  CHECK(env, napi_set_named_property(env, obj, "port", v));
  CHECK(env, napi_create_uint32(env, family, &v));
  CHECK(env, napi_set_named_property(env, obj, "family", v));
  return obj;
}

static napi_value null_value(napi_env env) {
  napi_value v;
  CHECK(env, napi_get_null(env, &v));
  return v;
}

static int not_redirected(int err) { return err == ENOENT || err == ENOPROTOOPT; }

static napi_value original_dst_v4(napi_env env, int fd) {
  struct sockaddr_in dst;
  socklen_t len = sizeof dst;
  memset(&dst, 0, sizeof dst);
  if (getsockopt(fd, SOL_IP, SO_ORIGINAL_DST, &dst, &len) != 0) {
    int err = errno;
    return not_redirected(err) ? null_value(env) : throw_errno(env, "getsockopt(SOL_IP, SO_ORIGINAL_DST)", fd, err);
  }
  char text[INET6_ADDRSTRLEN];
  if (len < sizeof dst || dst.sin_family != AF_INET || inet_ntop(AF_INET, &dst.sin_addr, text, sizeof text) == NULL) {
    napi_throw_error(env, "ERR_ORIGINAL_DST_RESULT", "getsockopt(SOL_IP, SO_ORIGINAL_DST) returned no IPv4 address");
    return NULL;
  }
  return make_result(env, text, ntohs(dst.sin_port), 4);
}

static napi_value original_dst_v6(napi_env env, int fd) {
  struct sockaddr_in6 dst;
  socklen_t len = sizeof dst;
  memset(&dst, 0, sizeof dst);
  if (getsockopt(fd, SOL_IPV6, IP6T_SO_ORIGINAL_DST, &dst, &len) != 0) {
    int err = errno;
    return not_redirected(err) ? null_value(env) : throw_errno(env, "getsockopt(SOL_IPV6, IP6T_SO_ORIGINAL_DST)", fd, err);
  }
  char text[INET6_ADDRSTRLEN];
  if (len < sizeof dst || dst.sin6_family != AF_INET6 || inet_ntop(AF_INET6, &dst.sin6_addr, text, sizeof text) == NULL) {
    napi_throw_error(env, "ERR_ORIGINAL_DST_RESULT", "getsockopt(SOL_IPV6, IP6T_SO_ORIGINAL_DST) returned no IPv6 address");
    return NULL;
  }
  return make_result(env, text, ntohs(dst.sin6_port), 6);
}

static napi_value original_dst(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  CHECK(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  napi_valuetype type = napi_undefined;
  if (argc >= 1) CHECK(env, napi_typeof(env, argv[0], &type));
  double number = -1;
  if (type == napi_number) CHECK(env, napi_get_value_double(env, argv[0], &number));
  if (type != napi_number || !(number >= 0 && number <= 2147483647.0) || number != (double)(int)number) {
    napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE", "originalDst(fd): fd must be a non-negative integer");
    return NULL;
  }
  int fd = (int)number;

  /* The socket's own family: a dual-stack AF_INET6 socket carries IPv4
   * connections as IPv4-mapped addresses, whose NAT state is IPv4's. */
  struct sockaddr_storage local;
  socklen_t local_len = sizeof local;
  memset(&local, 0, sizeof local);
  if (getsockname(fd, (struct sockaddr *)&local, &local_len) != 0) return throw_errno(env, "getsockname", fd, errno);

  if (local.ss_family == AF_INET) return original_dst_v4(env, fd);
  if (local.ss_family == AF_INET6) {
    const struct sockaddr_in6 *l6 = (const struct sockaddr_in6 *)&local;
    if (IN6_IS_ADDR_V4MAPPED(&l6->sin6_addr)) return original_dst_v4(env, fd);
    return original_dst_v6(env, fd);
  }
  return null_value(env); /* not an IP socket: nothing was redirected */
}

NAPI_MODULE_INIT() {
  napi_value fn;
  CHECK(env, napi_create_function(env, "originalDst", NAPI_AUTO_LENGTH, original_dst, NULL, &fn));
  CHECK(env, napi_set_named_property(env, exports, "originalDst", fn));
  return exports;
}
