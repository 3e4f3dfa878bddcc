import json, email.parser, email.message, email.mime.text, email.mime.multipart
import http.client, xml.etree.ElementTree, argparse, logging, logging.handlers
import subprocess, decimal, unittest, asyncio, csv, sqlite3, urllib.request, urllib.parse
import tarfile, zipfile, gzip, bz2, lzma, shutil, tempfile, pathlib, datetime
import collections, functools, itertools, re, textwrap, difflib, pprint, dataclasses, enum, typing
import hashlib, hmac, secrets, base64, struct, io, pickle, copy, uuid, random, statistics, fractions
import socket, ssl, selectors, threading, queue, concurrent.futures, signal
import configparser, glob, fnmatch, platform, locale, inspect, ast, traceback, warnings, contextlib
import html.parser, mimetypes, ipaddress, heapq, bisect, array, weakref, operator
print(len(__import__("sys").modules))
